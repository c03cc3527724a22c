// 走访覆盖率: of the visits due each week, how many were made on time — in
// total and per care tag as a chart, the same figures in a table (the chart is
// not the only way to read them), and per grid below. For the community office
// and sub-district leaders, who pick a community. What counts is the server's
// (docs/domain.md, "Oversight"); this screen only shows it. uPlot comes with
// this screen's chunk, never with the first page.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { getVisitCoverage } from '../../api.js';
import { getLocale, t } from '../../i18n/index.js';
import { LoadError, Loading, PageHead } from '../../ui/kit.jsx';
import { CommunityPicker, useCommunityChoice, useCommunityLoad } from '../../ui/community.jsx';
import { tagName } from '../people/shared.jsx';
import './coverage.css';

const RANGES = [4, 8, 13, 26];
// Dark enough on white; the total is the thick black line, tags also differ by dash.
const COLOURS = ['#0b6e4f', '#b5179e', '#1f5fbf', '#b34700', '#6a3d9a', '#7a4b00', '#00707a', '#a4001d'];
const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [1, 2], [12, 6], [6, 2, 2, 2]];

const LOCALES = { zh_Hans: 'zh-Hans-CN', zh_Hant: 'zh-Hant-TW', en: 'en-GB' };
const weekLabel = (iso) =>
  new Intl.DateTimeFormat(LOCALES[getLocale()], { month: 'numeric', day: 'numeric', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));
const percent = (share) => (share == null ? '—' : `${Math.round(share * 100)}%`);

/** The series of the chart and the columns of the table: the total first, then each care tag. */
function seriesOf(data) {
  return [
    { key: '', label: t('visit.coverage.total'), weeks: data.total },
    ...data.by_tag.map((row) => ({ key: row.key, label: tagName(row.key), weeks: row.weeks })),
  ];
}

function Chart({ data }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const series = seriesOf(data);
    const labels = data.weeks.map(weekLabel);
    const size = () => ({ width: Math.max(260, el.clientWidth), height: el.clientWidth < 500 ? 240 : 320 });
    const plot = new uPlot(
      {
        ...size(),
        scales: { x: { time: false, range: [-0.3, labels.length - 0.7] }, y: { range: [0, 100] } },
        axes: [
          {
            // As many week labels as fit (about 48 px each), always the latest.
            splits: (u) => {
              const every = Math.max(1, Math.ceil((labels.length * 48) / Math.max(1, u.bbox.width / devicePixelRatio)));
              return labels.map((_, i) => i).filter((i) => (labels.length - 1 - i) % every === 0);
            },
            values: (_u, splits) => splits.map((i) => labels[i] || ''),
            font: '13px system-ui',
            stroke: '#3d3d3d',
          },
          { splits: () => [0, 25, 50, 75, 100], values: (_u, splits) => splits.map((v) => `${v}%`), font: '13px system-ui', stroke: '#3d3d3d', size: 52 },
        ],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: i === 0 ? '#111111' : COLOURS[(i - 1) % COLOURS.length],
            width: i === 0 ? 3 : 2,
            dash: i === 0 ? [] : DASHES[(i - 1) % DASHES.length],
            points: { size: 7 },
            value: (_u, v) => (v == null ? '—' : `${Math.round(v)}%`),
          })),
        ],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      [labels.map((_, i) => i), ...series.map((s) => s.weeks.map((w) => (w.share == null ? null : w.share * 100)))],
      el,
    );
    const observer = new ResizeObserver(() => plot.setSize(size()));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [data]);
  // The table below holds the same figures: the picture is described, not the only source.
  return <figure class="card coverage__chart" data-testid="coverage-chart" aria-label={t('visit.coverage.chart_label')} ref={box} />;
}

function Cell({ week }) {
  return (
    <td class="num" data-due={week.due} data-on-time={week.on_time} data-share={week.share == null ? '' : String(week.share)}>
      <strong>{percent(week.share)}</strong>
      <span class="coverage__counts">{week.due ? t('visit.coverage.of', { on_time: week.on_time, due: week.due }) : t('visit.coverage.none_due')}</span>
    </td>
  );
}

function WeekTable({ data }) {
  const series = seriesOf(data);
  return (
    <div class="tablewrap" data-testid="coverage-table">
      <table class="table coverage__table">
        <caption>{t('visit.coverage.table_caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('visit.coverage.week')}</th>
            {series.map((s) => (
              <th key={s.key} scope="col" class="num">
                {s.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.weeks.map((monday, i) => (
            <tr key={monday} data-testid="coverage-week" data-week={monday}>
              <th scope="row">{t('visit.coverage.week_of', { date: weekLabel(monday) })}</th>
              {series.map((s) => (
                <Cell key={s.key} week={s.weeks[i]} />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function GridTable({ data }) {
  return (
    <div class="tablewrap" data-testid="coverage-grids">
      <table class="table coverage__table">
        <caption>{t('visit.coverage.grid_caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('visit.coverage.grid')}</th>
            {data.weeks.map((monday) => (
              <th key={monday} scope="col" class="num">
                {weekLabel(monday)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.by_grid.map((grid) => (
            <tr key={grid.key} data-testid="coverage-grid" data-code={grid.key}>
              <th scope="row">{grid.name}</th>
              {grid.weeks.map((week) => (
                <Cell key={week.week_start} week={week} />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function Coverage({ user }) {
  const choice = useCommunityChoice(user);
  const [weeks, setWeeks] = useState(8);
  const coverage = useCommunityLoad(choice, (code) => getVisitCoverage(code, weeks), [weeks]);
  const data = coverage.data;
  return (
    <section class="page stack" aria-labelledby="page-title" data-testid="visit-coverage" data-state={coverage.state}>
      <PageHead title={t('visit.coverage.title')} />
      <CommunityPicker choice={choice} testid="coverage-community" />
      <div class="segmented" role="group" aria-label={t('visit.coverage.range')}>
        {RANGES.map((n) => (
          <button
            key={n}
            type="button"
            class={`segmented__btn${weeks === n ? ' segmented__btn--on' : ''}`}
            aria-pressed={weeks === n ? 'true' : 'false'}
            data-testid="coverage-range"
            data-weeks={n}
            onClick={() => setWeeks(n)}
          >
            {t('visit.coverage.weeks', { weeks: n })}
          </button>
        ))}
      </div>
      {coverage.state === 'loading' && !data && <Loading />}
      {coverage.state === 'error' && <LoadError error={coverage.error} onRetry={coverage.reload} />}
      {data && (
        <>
          <h2 class="section-title">{t('visit.coverage.heading', { community: data.community })}</h2>
          <Chart data={data} />
          <p class="muted coverage__formula" data-testid="coverage-formula">
            {t('visit.coverage.formula')}
          </p>
          <WeekTable data={data} />
          <h2 class="section-title">{t('visit.coverage.by_grid')}</h2>
          <GridTable data={data} />
        </>
      )}
    </section>
  );
}
