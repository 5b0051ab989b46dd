/**
 * Reading a node's own counters from its `/metrics` (Prometheus text format), for benches and
 * the tests that check what a node counts.
 */

/** A node's `/metrics` exposition; `apiUrl` is its API's base URL. */
export async function metricsText(apiUrl: string): Promise<string> {
  return (await fetch(`${apiUrl}/metrics`)).text();
}

function samplePattern(name: string, labels: string | undefined): RegExp {
  const series = labels === undefined ? "(?:\\{[^}]*\\})?" : `\\{${labels.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\}`;
  return new RegExp(`^${name}${series} (\\S+)$`, "gm");
}

/** The values of a metric's series: every series, or only the one whose labels are exactly `labels` (`type="vote"`). */
function sampleValues(text: string, name: string, labels: string | undefined): number[] {
  return [...text.matchAll(samplePattern(name, labels))].map((match) => Number(match[1]));
}

/** The sum of a metric's series (0 when it has none), or of the one series with exactly `labels`. */
export function metricSum(text: string, name: string, labels?: string): number {
  return sampleValues(text, name, labels).reduce((sum, value) => sum + value, 0);
}

/** The value of the series with exactly `labels` ("" for an unlabelled metric), or undefined when the node has no such series. */
export function metricSample(text: string, name: string, labels: string): number | undefined {
  const pattern = labels === "" ? new RegExp(`^${name} (\\S+)$`, "m") : samplePattern(name, labels);
  const match = pattern.exec(text);
  return match === null ? undefined : Number(match[1]);
}
