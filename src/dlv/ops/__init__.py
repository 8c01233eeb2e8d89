"""Operations: metrics, structured request logs, backup and restore."""
