"""Configuration expressions, as opencensus.common.configuration: ``load(expr)`` evaluates a
string such as ``"census.trace.samplers.ProbabilitySampler(rate=0.5)"`` by importing what it
names (the form opencensus-ext-flask's ``app.config['OPENCENSUS']`` takes). A name under
``opencensus.`` is read as the same name under ``census.``, so a configuration written for
opencensus-python works unchanged (``opencensus.ext.zipkin.trace_exporter.ZipkinExporter(...)``
loads census.ext.zipkin's). Only the names ``census`` and ``opencensus`` are defined in the
expression. Thread-safety: stateless (imports are the interpreter's)."""

import importlib

__all__ = ['Namespace', 'load']


class Namespace(object):
    """A dotted name being built; calling it imports the module and calls the attribute."""

    def __init__(self, name, parent=None):
        self.parent = parent
        self.name = name

    def __getattr__(self, name):
        return type(self)(name, self)

    def __str__(self):
        if self.parent is None:
            return self.name
        return '{!s}.{}'.format(self.parent, self.name)

    def __call__(self, *args, **kwargs):
        module = str(self.parent)
        if module == 'opencensus' or module.startswith('opencensus.'):
            module = 'census' + module[len('opencensus'):]
        ctor = getattr(importlib.import_module(module), self.name)
        return ctor(*args, **kwargs)

    @classmethod
    def eval(cls, expr):
        """Evaluates `expr` with `census` and `opencensus` as namespaces."""
        return eval(expr, {}, {'census': cls('census'), 'opencensus': cls('opencensus')})


def load(expr):
    """Imports what `expr` names and evaluates it (see the module)."""
    return Namespace.eval(expr)
