import '@xyflow/react/dist/style.css';
import '../lineage/explorer.css';
import './dashboards.css';
import { ReactFlowProvider } from '@xyflow/react';
import { useParams } from 'react-router';
import { useIsAdmin, useMe } from '../../api/queries';
import { Loading } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { Board } from './Board';
import { useDashboard } from './queries';

/** /dashboards/:id (view) and /dashboards/:id/edit (the editor, for admins). */
export default function DashboardPage({ editing }: { editing: boolean }) {
  const { id = '' } = useParams();
  const dashboard = useDashboard(id);
  const me = useMe();
  const isAdmin = useIsAdmin();
  if (dashboard.error) return <ProblemView error={dashboard.error} context="Could not open the dashboard" />;
  if (!dashboard.data || (editing && me.isPending)) return <Loading what="the dashboard" />;
  return (
    <>
      {editing && !isAdmin && <p className="notice">Only admins can edit dashboards: this is the read-only view.</p>}
      <ReactFlowProvider key={`${id}:${editing && isAdmin ? 'edit' : 'view'}`}>
      <Board data={dashboard.data} editing={editing && isAdmin} isAdmin={isAdmin} />
      </ReactFlowProvider>
    </>
  );
}
