import { useEffect, useRef } from 'react';
// only what the dashboard draws: this module (and so echarts) is reached only through the dashboard's lazy import
import { BarChart, LineChart, PieChart, type BarSeriesOption, type LineSeriesOption, type PieSeriesOption } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, type GridComponentOption, type LegendComponentOption, type TooltipComponentOption } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

export type ChartOption = echarts.ComposeOption<
  BarSeriesOption | LineSeriesOption | PieSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>;

/** Colours with at least 3:1 contrast on white (WCAG 1.4.11 for graphics), told apart by more than hue in the tables. */
export const PALETTE = ['#a3161e', '#1f4fbf', '#1d6b32', '#7a4b00', '#5b2a86', '#00666b'];

/**
 * One ECharts chart, SVG-rendered (crisp, no canvas to read), without animation (nothing moves for people who
 * asked for less motion, and the chart is complete at once). The tooltip is drawn by ECharts itself (richText),
 * never as HTML with inline styles, which the portal's CSP refuses. The container is an image with the chart's
 * name for screen readers; the numbers are in the data table beside it.
 */
export function Chart({ option, label, id }: { option: ChartOption; label: string; id: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const chart = echarts.init(el, undefined, { renderer: 'svg' });
    chart.setOption({
      animation: false,
      color: PALETTE,
      textStyle: { fontFamily: 'system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif', color: '#1a1a1a' },
      ...option,
      // whatever the chart asks of its tooltip, ECharts draws it itself: its HTML tooltip writes style attributes
      tooltip: { ...(option.tooltip as TooltipComponentOption | undefined), renderMode: 'richText' },
    });
    const resize = new ResizeObserver(() => chart.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.dispose();
    };
  }, [option]);
  return <div ref={ref} id={id} className="chart auditor-chart" role="img" aria-label={label} data-testid="chart" />;
}
