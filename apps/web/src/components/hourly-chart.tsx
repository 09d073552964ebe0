import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface HourPoint {
  hour: string;
  done: number;
  failed: number;
}

const COLORS = { done: '#1a7f37', failed: '#c62828' };

/**
 * Done and failed per hour as bars (uPlot, drawn on a canvas). The same numbers are in a table beside it for screen
 * readers and for copying.
 */
export function HourlyChart(props: { points: HourPoint[]; doneLabel: string; failedLabel: string; title: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [
    props.points.map((p) => new Date(p.hour).getTime() / 1000),
    props.points.map((p) => p.done),
    props.points.map((p) => p.failed),
  ];

  useEffect(() => {
    const element = box.current!;
    const bars = uPlot.paths.bars!({ size: [0.6, 40], gap: 1 });
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: 180,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ stroke: '#444' }, { stroke: '#444', size: 50 }],
      series: [
        {},
        { label: props.doneLabel, fill: COLORS.done, stroke: COLORS.done, paths: bars, points: { show: false } },
        { label: props.failedLabel, fill: COLORS.failed, stroke: COLORS.failed, paths: bars, points: { show: false } },
      ],
    };
    plot.current = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(280, element.clientWidth), height: 180 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  }, [JSON.stringify(props.points)]);

  const total = (key: 'done' | 'failed') => props.points.reduce((sum, p) => sum + p[key], 0);
  return (
    <figure class="chart">
      <figcaption>
        {props.title}: {total('done')} {props.doneLabel.toLowerCase()}, {total('failed')} {props.failedLabel.toLowerCase()} in 24 h
      </figcaption>
      <div ref={box} class="chart-canvas" aria-hidden="true" />
      <details>
        <summary>Per hour</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Hour</th>
              <th scope="col">{props.doneLabel}</th>
              <th scope="col">{props.failedLabel}</th>
            </tr>
          </thead>
          <tbody>
            {props.points.map((p) => (
              <tr key={p.hour}>
                <td>{new Date(p.hour).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}</td>
                <td>{p.done}</td>
                <td>{p.failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
