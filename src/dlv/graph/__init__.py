"""Graph import and export: the whole catalog and lineage graph as one dlv-graph document."""
