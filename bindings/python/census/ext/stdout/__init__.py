"""census.ext.stdout: census's stdout exporter (text or JSON lines; docs/exporters/stdout.md)."""
