// UI strings and the user's language choice. The choice lives in
// localStorage and travels with every request as Accept-Language.
import zh_Hans from './zh_Hans.json';
import zh_Hant from './zh_Hant.json';
import en from './en.json';

const MESSAGES = { zh_Hans, zh_Hant, en };
export const LOCALES = ['zh_Hans', 'zh_Hant', 'en'];
export const DEFAULT_LOCALE = 'zh_Hans';

// Each language is named in its own script, so a reader can always find theirs.
export const LOCALE_NAMES = { zh_Hans: '简体中文', zh_Hant: '繁體中文', en: 'English' };

const ACCEPT_LANGUAGE = { zh_Hans: 'zh-Hans-CN', zh_Hant: 'zh-Hant-TW', en: 'en' };
const HTML_LANG = { zh_Hans: 'zh-Hans', zh_Hant: 'zh-Hant', en: 'en' };
const STORAGE_KEY = 'linli.locale';

function readStored() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return LOCALES.includes(value) ? value : null;
  } catch {
    return null;
  }
}

let current = readStored() || DEFAULT_LOCALE;

export const isLocale = (value) => LOCALES.includes(value);
export const getLocale = () => current;
export const hasStoredLocale = () => readStored() !== null;
export const acceptLanguage = () => ACCEPT_LANGUAGE[current];

/** Switches the UI language and remembers it on this device. */
export function setLocale(locale) {
  if (!isLocale(locale)) return;
  current = locale;
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
  applyDocumentLocale();
}

export function applyDocumentLocale() {
  document.documentElement.lang = HTML_LANG[current];
  document.title = `${MESSAGES[current]['app.name']} Linli`.replace('Linli Linli', 'Linli');
}

/** Message for `key` in the current language, with {name} placeholders filled. */
export function t(key, params) {
  const text = MESSAGES[current][key] ?? MESSAGES[DEFAULT_LOCALE][key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/**
 * A place's name in the current language: `name_i18n[locale]` when the
 * server sends translations, else `name` (the server may localise it itself).
 */
export function placeName(props) {
  if (!props) return '';
  const translated = props.name_i18n && props.name_i18n[current];
  return translated || props.name || props.code || '';
}

/** "登月社区第3网格" → "第3网格" when it starts with a community's name. */
export function shortGridName(name, communityNames) {
  for (const prefix of communityNames) {
    if (prefix && name.length > prefix.length && name.startsWith(prefix)) {
      return name.slice(prefix.length).trim();
    }
  }
  return name;
}
