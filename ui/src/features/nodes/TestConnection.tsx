import { useTestConnection } from '../../api/queries';
import { ProblemView } from '../../components/ProblemView';
import { StatusIcon } from '../../components/StatusBadge';

/** Runs the node's connection check now and shows each step (admins only: it reaches out). */
export function TestConnection({ nodeId }: { nodeId: string }) {
  const test = useTestConnection(nodeId);
  const result = test.data;
  return (
    <div className="test-connection">
      <button type="button" className="primary" onClick={() => test.mutate()} disabled={test.isPending}>
        {test.isPending ? 'Testing…' : 'Test connection'}
      </button>
      {test.error && <ProblemView error={test.error} context="The test could not run" />}
      {result && (
        <div className={`check-report status-${result.status === 'ok' ? 'ok' : 'error'}`} role="status" aria-label="Connection test report">
          <p className="check-summary">
            <StatusIcon status={result.status === 'ok' ? 'ok' : 'error'} />{' '}
            <strong>{result.status === 'ok' ? 'Connection works' : 'Connection failed'}</strong> — {result.message}{' '}
            <span className="muted">({result.latency_ms} ms)</span>
          </p>
          <ol className="steps">
            {result.steps.map((step, i) => (
              <li key={`${step.name}-${i}`} className={step.ok ? 'step-ok' : 'step-failed'}>
                <StatusIcon status={step.ok ? 'ok' : 'error'} />
                <span className="step-name">{step.name}</span>
                <span className="sr-only">{step.ok ? 'passed' : 'failed'}</span>
                <span className="step-message">{step.message}</span>
                <span className="muted">{step.latency_ms} ms</span>
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
