import { Link } from 'react-router';
import { useNode } from '../../api/queries';
import { KindIcon } from '../../components/KindIcon';

export function ParentLink({ id }: { id: string }) {
  const parent = useNode(id);
  return (
    <Link to={`/nodes/${id}`} className="node-link">
      {parent.data ? (
        <>
          <KindIcon kind={parent.data.kind} /> {parent.data.name}
        </>
      ) : (
        'its parent'
      )}
    </Link>
  );
}
