// 案件统计: a unit's case figures over a period, each with its formula (what was
// divided by what, what counts and what does not: the server's words), and for
// a community or a sub-district its grids or communities side by side, as a
// chart and as a table. Exports of the figures and of the case list (the
// server writes each one in the audit log). What counts is the server's
// (docs/boards.md); this screen only shows it. uPlot comes with this chunk.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, getCaseBoard, getCaseExport } from '../../api.js';
import { t } from '../../i18n/index.js';
import { ErrorNote, LoadError, Loading, PageHead, cityDay, useLoad } from '../../ui/kit.jsx';
import './board.css';

const STAFF = ['grid_worker', 'community_staff', 'community_admin', 'subdistrict_admin'];
const LEVEL_RANK = { sub_district: 0, community: 1, grid: 2 };
// The figures compared side by side (the chart: the two rates).
const COMPARED = ['received', 'closed', 'closure_rate', 'on_time_rate', 'avg_hours', 'satisfied_share'];

/** The units this user may look at: from their staff roles; everything for a system administrator. */
async function unitsOf(user) {
  const roles = (user && user.roles) || [];
  const found = new Map();
  if (roles.some((r) => r.role === 'system_admin')) {
    for (const level of ['sub_district', 'community']) {
      const areas = await api('GET', `/api/v1/areas?level=${level}`);
      for (const a of areas) found.set(`${level}:${a.code}`, { level, code: a.code, name: a.name || a.code });
    }
  }
  for (const r of roles) {
    if (!STAFF.includes(r.role) || !r.scope_level || !r.scope_code) continue;
    found.set(`${r.scope_level}:${r.scope_code}`, { level: r.scope_level, code: r.scope_code, name: r.scope_name || r.scope_code });
  }
  return [...found.values()].sort((a, b) => LEVEL_RANK[a.level] - LEVEL_RANK[b.level] || a.code.localeCompare(b.code));
}

function daysBefore(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

const fig = (unit, key) => unit.figures.find((f) => f.key === key);

function Figure({ f }) {
  return (
    <li class="card caseboard__figure" data-testid="board-figure" data-key={f.key} data-value={f.value == null ? '' : String(f.value)}>
      <span class="caseboard__label">{f.label}</span>
      <strong class="caseboard__value" data-testid="board-value">
        {f.display}
      </strong>
      <details class="caseboard__formula" data-testid="board-formula">
        <summary>{t('case.board.formula')}</summary>
        <p data-testid="board-formula-text">{f.formula}</p>
        <p class="muted">{f.counts}</p>
        <p class="muted">{f.excludes}</p>
      </details>
    </li>
  );
}

/** A child's name without its parent's (登月社区第1网格 → 第1网格), so the chart's labels fit. */
const shortName = (name, parent) => (parent && name.startsWith(parent) && name.length > parent.length ? name.slice(parent.length) : name);

function Chart({ children, parent }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !children.length) return undefined;
    const labels = children.map((c) => shortName(c.name, parent));
    const bars = uPlot.paths.bars({ size: [0.35, 40], align: -1 });
    const rate = (key) => children.map((c) => (fig(c, key).value == null ? null : fig(c, key).value * 100));
    const size = () => ({ width: Math.max(260, el.clientWidth), height: el.clientWidth < 500 ? 240 : 300 });
    const every = () => Math.max(1, Math.ceil((labels.length * 14 * Math.max(...labels.map((l) => l.length), 4)) / Math.max(1, el.clientWidth - 60)));
    const plot = new uPlot(
      {
        ...size(),
        scales: { x: { time: false, range: [-0.6, labels.length - 0.4] }, y: { range: [0, 100] } },
        axes: [
          {
            splits: () => labels.map((_, i) => i).filter((i) => i % every() === 0),
            values: (_u, splits) => splits.map((i) => labels[i] || ''),
            font: '13px system-ui',
            stroke: '#3d3d3d',
          },
          { splits: () => [0, 25, 50, 75, 100], values: (_u, s) => s.map((v) => `${v}%`), font: '13px system-ui', stroke: '#3d3d3d', size: 52 },
        ],
        series: [
          {},
          { label: fig(children[0], 'closure_rate').label, stroke: '#0b6e4f', fill: '#0b6e4fcc', paths: bars, points: { show: false }, value: (_u, v) => (v == null ? '—' : `${v.toFixed(2)}%`) },
          {
            label: fig(children[0], 'on_time_rate').label,
            stroke: '#1f5fbf',
            fill: '#1f5fbf99',
            paths: uPlot.paths.bars({ size: [0.35, 40], align: 1 }),
            points: { show: false },
            value: (_u, v) => (v == null ? '—' : `${v.toFixed(2)}%`),
          },
        ],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      [labels.map((_, i) => i), rate('closure_rate'), rate('on_time_rate')],
      el,
    );
    const observer = new ResizeObserver(() => plot.setSize(size()));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [children, parent]);
  // The table below holds the same figures: the picture is not the only source.
  return <figure class="card caseboard__chart" data-testid="board-chart" aria-label={t('case.board.chart_label')} ref={box} />;
}

function Compare({ data }) {
  const { children } = data;
  if (!children.length) return null;
  return (
    <>
      <h2 class="section-title">{t(data.unit.level === 'sub_district' ? 'case.board.by_community' : 'case.board.by_grid')}</h2>
      <Chart children={children} parent={data.unit.name} />
      <div class="tablewrap" data-testid="board-compare">
        <table class="table caseboard__table">
          <caption>{t('case.board.compare_caption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('case.board.unit')}</th>
              {COMPARED.map((key) => (
                <th key={key} scope="col" class="num">
                  {fig(data.unit, key).label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {children.map((c) => (
              <tr key={c.code} data-testid="board-child" data-code={c.code}>
                <th scope="row">{c.name}</th>
                {COMPARED.map((key) => {
                  const f = fig(c, key);
                  return (
                    <td key={key} class="num" data-key={key} title={f.formula}>
                      <strong>{f.display}</strong>
                      {f.denominator != null && f.numerator != null && (
                        <span class="caseboard__counts">
                          {Math.round(f.numerator)} / {f.denominator}
                        </span>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Exports({ query }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState('');
  const run = async (what, fmt) => {
    setBusy(`${what}.${fmt}`);
    setError(null);
    try {
      const q = what === 'cases' ? { code: query.code, from: query.from, to: query.to, level: 'community' } : query;
      const blob = await getCaseExport(what, fmt, q);
      save(blob, `${what === 'board' ? 'case-board' : 'cases'}-${query.code}-${query.from}-${query.to}.${fmt}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy('');
    }
  };
  const buttons = [
    ['board', 'csv', 'case.board.export_board_csv'],
    ['board', 'xlsx', 'case.board.export_board_xlsx'],
    ...(query.level === 'community'
      ? [
          ['cases', 'csv', 'case.board.export_cases_csv'],
          ['cases', 'xlsx', 'case.board.export_cases_xlsx'],
        ]
      : []),
  ];
  return (
    <div class="stack">
      <div class="caseboard__exports" role="group" aria-label={t('case.board.exports')}>
        {buttons.map(([what, fmt, label]) => (
          <button key={`${what}.${fmt}`} type="button" class="btn btn--ghost" data-testid={`board-export-${what}-${fmt}`} disabled={Boolean(busy)} onClick={() => run(what, fmt)}>
            {t(label)}
          </button>
        ))}
      </div>
      <p class="muted caseboard__note">{t('case.board.export_note')}</p>
      {error && <ErrorNote error={error} testid="board-export-error" />}
    </div>
  );
}

export default function CaseBoard({ user }) {
  const units = useLoad(() => unitsOf(user), []);
  const today = cityDay();
  const [unitKey, setUnitKey] = useState('');
  const [from, setFrom] = useState(daysBefore(today, 89));
  const [to, setTo] = useState(today);
  const list = units.data || [];
  const unit = list.find((u) => `${u.level}:${u.code}` === unitKey) || list[0] || null;
  const query = unit ? { level: unit.level, code: unit.code, from, to } : null;
  const board = useLoad(() => (query ? getCaseBoard(query) : new Promise(() => {})), [unit && unit.code, unit && unit.level, from, to]);
  const data = board.data;
  return (
    <section class="page stack" aria-labelledby="page-title" data-testid="case-board" data-state={board.state}>
      <PageHead title={t('case.board.title')} />
      {units.state === 'error' && <LoadError error={units.error} onRetry={units.reload} />}
      <div class="caseboard__filters">
        {list.length > 1 && (
          <label class="field">
            <span class="field__label">{t('case.board.unit')}</span>
            <select class="select--boxed" data-testid="board-unit" value={unit ? `${unit.level}:${unit.code}` : ''} onChange={(e) => setUnitKey(e.currentTarget.value)}>
              {list.map((u) => (
                <option key={`${u.level}:${u.code}`} value={`${u.level}:${u.code}`}>
                  {u.name} · {t(`case.board.level_${u.level}`)}
                </option>
              ))}
            </select>
          </label>
        )}
        <label class="field">
          <span class="field__label">{t('case.board.from')}</span>
          <input type="date" data-testid="board-from" value={from} max={to} onChange={(e) => e.currentTarget.value && setFrom(e.currentTarget.value)} />
        </label>
        <label class="field">
          <span class="field__label">{t('case.board.to')}</span>
          <input type="date" data-testid="board-to" value={to} min={from} onChange={(e) => e.currentTarget.value && setTo(e.currentTarget.value)} />
        </label>
      </div>
      {(board.state === 'loading' || units.state === 'loading') && !data && <Loading />}
      {board.state === 'error' && <LoadError error={board.error} onRetry={board.reload} />}
      {units.state === 'ready' && !list.length && <p class="muted">{t('case.board.no_unit')}</p>}
      {data && (
        <>
          <h2 class="section-title" data-testid="board-heading">
            {t('case.board.heading', { unit: data.unit.name, from: data.start, to: data.end })}
          </h2>
          <ul class="caseboard__figures" data-testid="board-figures">
            {data.unit.figures.map((f) => (
              <Figure key={f.key} f={f} />
            ))}
          </ul>
          <Compare data={data} />
          <Exports query={{ ...query, from: data.start, to: data.end }} />
        </>
      )}
    </section>
  );
}
