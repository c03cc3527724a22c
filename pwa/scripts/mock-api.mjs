// A stand-in for the Linli server's API, for working on the PWA alone:
//   node scripts/mock-api.mjs [features.geojson] [--port 8790]
//   LINLI_BACKEND=http://127.0.0.1:8790 npm run dev    (or npm run preview)
// It follows the API contract the app is written against (login, refresh,
// logout, me, config, map, locate) with one demo user, 13800000001 /
// linli-demo. Without a GeoJSON file it serves a tiny built-in area; with
// one (e.g. the output of grid_maps/generate.py) it serves that. Not a test
// double for the real server: its rules are only as deep as the UI needs.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const PORT = portAt >= 0 ? Number(args[portAt + 1]) : 8790;
const file = args.find((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--port');
const ACCESS_TTL = Number(process.env.MOCK_ACCESS_TTL || 900);

function box(x0, y0, x1, y1) {
  return { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] };
}
const BUILT_IN = {
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', properties: { level: 'sub_district', code: '410902001', name: '中原路街道' }, geometry: box(115.024, 35.754, 115.036, 35.766) },
    { type: 'Feature', properties: { level: 'community', code: '410902001001', name: '登月社区', parent: '410902001' }, geometry: box(115.025, 35.755, 115.035, 35.765) },
    { type: 'Feature', properties: { level: 'grid', code: '410902001001001', name: '第1网格', kind: 'building_block', parent: '410902001001' }, geometry: box(115.025, 35.755, 115.030, 35.765) },
    { type: 'Feature', properties: { level: 'grid', code: '410902001001003', name: '第3网格', kind: 'storefront', parent: '410902001001' }, geometry: box(115.030, 35.755, 115.035, 35.765) },
    { type: 'Feature', properties: { level: 'building', code: '410902001001001B001', name: '登月小区1号楼', address: '华龙区中原路229号', households: 24 }, geometry: { type: 'Point', coordinates: [115.0275, 35.76] } },
    { type: 'Feature', properties: { level: 'storefront', code: '410902001001003S001', name: '阳光便民超市', address: '华龙区中原路231号' }, geometry: { type: 'Point', coordinates: [115.0325, 35.758] } },
  ],
};
const geojson = file ? JSON.parse(readFileSync(file, 'utf8')) : BUILT_IN;
const byCode = new Map(geojson.features.map((f) => [f.properties.code, f]));

const MESSAGES = {
  bad_login: { zh_Hans: '手机号或密码错误', zh_Hant: '手機號碼或密碼錯誤', en: 'Wrong mobile number or password' },
  unauthorized: { zh_Hans: '请先登录', zh_Hant: '請先登入', en: 'Please sign in' },
  outside: { zh_Hans: '该位置不在任何网格内', zh_Hant: '該位置不在任何網格內', en: 'This place is not in any grid' },
  not_found: { zh_Hans: '未找到', zh_Hant: '找不到', en: 'Not found' },
};
function localeOf(req) {
  const header = String(req.headers['accept-language'] || '').toLowerCase();
  if (/zh-(hant|tw|hk|mo)/.test(header)) return 'zh_Hant';
  if (header.startsWith('en')) return 'en';
  return 'zh_Hans';
}

// Like the server: names in the language asked for, no translation table.
function localised(props, locale) {
  const { name_i18n: names, ...rest } = props;
  return { ...rest, name: (names && names[locale]) || props.name };
}
const featuresIn = (locale) => ({
  type: 'FeatureCollection',
  features: geojson.features.map((f) => ({ ...f, properties: localised(f.properties, locale) })),
});

const user = {
  id: 1,
  name: '王网格',
  phone_masked: '138****0001',
  locale: 'zh_Hans',
  roles: [
    { role: 'grid_worker', scope_level: 'grid', scope_code: '410902001001003', scope_name: '登月社区第3网格' },
    { role: 'resident', scope_level: 'grid', scope_code: '410902001001001', scope_name: '登月社区第1网格' },
    { role: 'community_staff', scope_level: 'community', scope_code: '410902001001', scope_name: '登月社区' },
  ],
};
const access = new Map(); // token -> expiry ms
const refresh = new Set();

function issue() {
  const a = randomBytes(16).toString('hex');
  const r = randomBytes(16).toString('hex');
  access.set(a, Date.now() + ACCESS_TTL * 1000);
  refresh.add(r);
  return { access_token: a, refresh_token: r, token_type: 'Bearer', expires_in: ACCESS_TTL, user };
}

function inRing(x, y, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function contains(geometry, x, y) {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polygons.some(([outer, ...holes]) => inRing(x, y, outer) && !holes.some((h) => inRing(x, y, h)));
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', Vary: 'Accept-Language, Authorization', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}
const fail = (req, res, status, key, headers) =>
  send(res, status, { status_code: status, detail: MESSAGES[key][localeOf(req)], extra: null }, headers);

async function bodyOf(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  try {
    return JSON.parse(text || '{}');
  } catch {
    return {};
  }
}
function authed(req) {
  const token = String(req.headers.authorization || '').replace(/^Bearer /, '');
  const expiry = access.get(token);
  return expiry && expiry > Date.now();
}

createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const route = `${req.method} ${url.pathname}`;
  console.log(route, req.headers['accept-language'] || '');
  switch (route) {
    case 'GET /health':
      return send(res, 200, { status: 'ok' });
    case 'POST /api/v1/auth/login': {
      const { phone, password } = await bodyOf(req);
      if (phone === '13800000001' && password === 'linli-demo') return send(res, 200, issue());
      return fail(req, res, 401, 'bad_login');
    }
    case 'POST /api/v1/auth/refresh': {
      const { refresh_token: token } = await bodyOf(req);
      if (!refresh.delete(token)) return fail(req, res, 401, 'unauthorized');
      return send(res, 200, issue());
    }
    case 'POST /api/v1/auth/logout': {
      const { refresh_token: token } = await bodyOf(req);
      refresh.delete(token);
      res.writeHead(204);
      return res.end();
    }
    case 'GET /api/v1/config':
      return send(res, 200, { tile_url: null, tile_attribution: null, default_center: [115.03, 35.76], default_zoom: 15 });
    case 'GET /api/v1/locate': {
      const x = Number(url.searchParams.get('lon'));
      const y = Number(url.searchParams.get('lat'));
      const grid = geojson.features.find((f) => f.properties.level === 'grid' && contains(f.geometry, x, y));
      if (!grid) return fail(req, res, 404, 'outside');
      const community = byCode.get(grid.properties.parent);
      const sub = community && byCode.get(community.properties.parent);
      const ref = (f) => (f ? { code: f.properties.code, name: localised(f.properties, localeOf(req)).name } : null);
      return send(res, 200, { sub_district: ref(sub), community: ref(community), grid: ref(grid) });
    }
    default:
      break;
  }
  if (!url.pathname.startsWith('/api/')) return fail(req, res, 404, 'not_found');
  if (!authed(req)) return fail(req, res, 401, 'unauthorized');
  if (route === 'GET /api/v1/me') return send(res, 200, user);
  if (route === 'PATCH /api/v1/me') {
    const { locale } = await bodyOf(req);
    if (['zh_Hans', 'zh_Hant', 'en'].includes(locale)) user.locale = locale;
    return send(res, 200, user);
  }
  if (route === 'GET /api/v1/map') return send(res, 200, featuresIn(localeOf(req)));
  return fail(req, res, 404, 'not_found');
}).listen(PORT, '127.0.0.1', () => console.log(`mock Linli API on http://127.0.0.1:${PORT}`));
