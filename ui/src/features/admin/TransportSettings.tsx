import { useId, useState } from 'react';
import { rootPath } from '../../api/client';
import { CopyButton } from '../../components/misc';
import { airflowSettings, sparkSettings, suggestNamespace } from './transport';

/** Where Airflow and Spark send their events: this server, with the new token, ready to paste. */
export function TransportSettings({ token, name }: { token: string; name: string }) {
  const id = useId();
  const [namespace, setNamespace] = useState(() => suggestNamespace(name));
  const input = { origin: window.location.origin, rootPath, token, namespace };
  const blocks = [
    ['Airflow', airflowSettings(input)],
    ['Spark', sparkSettings(input)],
  ] as const;
  return (
    <div className="transport">
      <h4>OpenLineage transport settings</h4>
      <label className="field" htmlFor={`${id}-ns`}>
        Namespace (how the ingestion status names this producer)
      </label>
      <input id={`${id}-ns`} value={namespace} onChange={(e) => setNamespace(e.target.value)} />
      {blocks.map(([label, text]) => (
        <section key={label} aria-label={`${label} settings`}>
          <div className="transport-head">
            <h5>{label}</h5>
            <CopyButton text={text} label={`Copy ${label} settings`} />
          </div>
          <pre className="sql transport-text">{text}</pre>
        </section>
      ))}
    </div>
  );
}
