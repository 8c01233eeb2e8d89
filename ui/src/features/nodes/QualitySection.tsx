import { useNodeQuality } from '../../api/queries';
import { Empty, Loading, When } from '../../components/misc';
import { Pager, useCursorPages } from '../../components/Pager';
import { ProblemView } from '../../components/ProblemView';
import { assertionOutcome, formatBytes, formatCount, nullSummary, rowDelta, sortAssertions, type QualityRead } from './quality';

/** A dataset's data quality as dbt tests and Great Expectations report it (ADR 17). */
export function QualitySection({ nodeId }: { nodeId: string }) {
  const { cursor, pager } = useCursorPages();
  const quality = useNodeQuality(nodeId, cursor);
  const data = quality.data;
  return (
    <section className="card" aria-labelledby="quality">
      <h2 id="quality">Quality</h2>
      {quality.isPending && <Loading what="data quality" />}
      {quality.error && <ProblemView error={quality.error} />}
      {data && !data.assertions && data.metrics.items.length === 0 && !cursor && (
        <Empty>No data quality reported: no dbt tests or validations name this dataset yet.</Empty>
      )}
      {data?.assertions && <Assertions quality={data} />}
      {data && (data.metrics.items.length > 0 || cursor) && (
        <>
          <h3>Metrics history</h3>
          <table className="table" aria-label="Metrics history">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Rows</th>
                <th scope="col">Change</th>
                <th scope="col">Size</th>
                <th scope="col">Nulls</th>
              </tr>
            </thead>
            <tbody>
              {data.metrics.items.map((m, i) => (
                <tr key={`${m.observed_at}-${i}`}>
                  <td>
                    <When at={m.observed_at} />
                  </td>
                  <td>{formatCount(m.row_count)}</td>
                  <td>{rowDelta(m, data.metrics.items[i + 1])}</td>
                  <td>{formatBytes(m.bytes)}</td>
                  <td>{nullSummary(m.columns) || <span className="muted">none</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager {...pager(data.metrics.next_cursor)} />
        </>
      )}
    </section>
  );
}

function Assertions({ quality }: { quality: QualityRead }) {
  const report = quality.assertions;
  if (!report) return null;
  return (
    <>
      <p>
        {report.failed > 0 ? (
          <span className="status-error">
            <strong>
              {report.failed} of {report.assertions.length} assertions failed
            </strong>
          </span>
        ) : (
          <span className="status-ok">All {report.assertions.length} assertions passed</span>
        )}{' '}
        <span className="muted">
          ({report.job}, <When at={report.observed_at} />)
        </span>
        {quality.failing && !quality.status_held && (
          <span className="muted"> · the node was already in error for another reason</span>
        )}
      </p>
      <table className="table" aria-label="Latest assertions">
        <thead>
          <tr>
            <th scope="col">Assertion</th>
            <th scope="col">Column</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {sortAssertions(report.assertions).map((a, i) => (
            <tr key={`${a.assertion}-${a.column ?? ''}-${i}`}>
              <td>{a.assertion}</td>
              <td>{a.column ?? <span className="muted">whole dataset</span>}</td>
              <td>
                <span className={a.success ? 'status-ok' : 'status-error'}>{assertionOutcome(a)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
