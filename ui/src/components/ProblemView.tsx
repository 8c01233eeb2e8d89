import { problemOf } from '../lib/problem';

/** An API error in plain words: what went wrong, and which field to fix. */
export function ProblemView({ error, context }: { error: unknown; context?: string }) {
  const problem = problemOf(error);
  return (
    <div className="problem" role="alert">
      <p className="problem-title">
        {context ? `${context}: ` : ''}
        {problem.title}
      </p>
      {problem.detail && <p className="problem-detail">{problem.detail}</p>}
      {problem.fields.length > 0 && (
        <ul className="problem-fields">
          {problem.fields.map((f, i) => (
            <li key={`${f.field}-${i}`}>
              <strong>{f.label}</strong>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
