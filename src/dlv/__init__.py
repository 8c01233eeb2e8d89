"""DLV: self-hosted data lineage."""
