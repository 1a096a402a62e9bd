"""census.ext: the exporters and integrations, as opencensus.ext (a pkgutil-style namespace
package, so separately installed ``census.ext.<name>`` packages join it)."""

__path__ = __import__("pkgutil").extend_path(__path__, __name__)
