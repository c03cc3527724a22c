import { render } from 'preact';
import { App } from './app.jsx';
import { applyDocumentLocale } from './i18n/index.js';
import './ui/styles.css';
import './views/wishes/wishes.css';
import './views/people/people.css';
import './views/visits/visits.css';

applyDocumentLocale();
render(<App />, document.getElementById('root'));
