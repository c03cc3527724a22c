import { render } from 'preact';
import { App } from './app.jsx';
import { applyDocumentLocale } from './i18n/index.js';
import './styles.css';

applyDocumentLocale();
render(<App />, document.getElementById('root'));
