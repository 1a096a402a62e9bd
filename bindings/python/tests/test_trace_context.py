"""The current span follows Python code, not OS threads (issue 13 item 4): asyncio tasks,
threads and contextvars.copy_context() each see their own current span and tracer, and spans
started in a coroutine parent correctly across awaits."""

import asyncio
import contextvars
import threading

from census.common.runtime_context import RuntimeContext
from census.trace import execution_context, samplers
from census.trace.tracer import Tracer

from tracing_support import by_name, collector


def test_hundred_concurrent_tasks_each_with_its_own_span():
    """100 asyncio tasks run concurrently under one request span; each starts a span, awaits,
    starts a child, awaits again: every child's parent is its own task's span, every task
    span's parent is the request span, and after every await each task still sees its own
    span as current (never another task's)."""
    c = collector()
    tracer = Tracer(sampler=samplers.AlwaysOnSampler(), exporter=c)
    mixups = []

    async def task(i):
        with tracer.span('aio/task%d' % i) as mine:
            await asyncio.sleep(0.001 * (i % 7))
            if execution_context.get_current_span() is not mine:
                mixups.append(i)
            with tracer.span('aio/inner%d' % i) as inner:
                await asyncio.sleep(0.001 * (i % 5))
                if execution_context.get_current_span() is not inner:
                    mixups.append(i)
            if execution_context.get_current_span() is not mine:
                mixups.append(i)

    async def main():
        with tracer.span('aio/request'):
            await asyncio.gather(*(task(i) for i in range(100)))

    asyncio.run(main())
    assert mixups == []
    spans = by_name(c.take())
    request = spans['aio/request']
    for i in range(100):
        t, inner = spans['aio/task%d' % i], spans['aio/inner%d' % i]
        assert t.parent_span_id == request.span_id
        assert inner.parent_span_id == t.span_id
        assert inner.context.trace_id == request.context.trace_id
    assert len({spans['aio/task%d' % i].span_id for i in range(100)}) == 100


def test_span_ended_in_another_task_restores_its_parent_there():
    """A span started in one task and ended in another (its token belongs to the first
    context) leaves its parent current in the context that ended it, as
    opencensus-python's end_span() does."""
    c = collector()
    tracer = Tracer(sampler=samplers.AlwaysOnSampler(), exporter=c)

    async def main():
        with tracer.span('cross/parent') as parent:
            started = {}

            async def starter():
                started['span'] = tracer.start_span('cross/child')

            await asyncio.create_task(starter())

            async def ender():
                execution_context.set_current_span(started['span'])
                started['span'].finish()
                return execution_context.get_current_span()

            after = await asyncio.create_task(ender())
            assert after is parent
            assert execution_context.get_current_span() is parent

    asyncio.run(main())
    spans = by_name(c.take())
    assert spans['cross/child'].parent_span_id == spans['cross/parent'].span_id


def test_threads_start_with_no_span_unless_the_context_is_carried():
    """A new thread starts with an empty context (no current span, the default tracer); a
    callable wrapped with RuntimeContext.with_current_context runs with the caller's span, so
    its spans are children of it."""
    c = collector()
    tracer = Tracer(sampler=samplers.AlwaysOnSampler(), exporter=c)
    seen = {}

    def plain():
        seen['plain'] = execution_context.get_current_span()

    def carried():
        seen['carried'] = execution_context.get_current_span()
        with execution_context.get_opencensus_tracer().span('thread/child'):
            pass

    with tracer.span('thread/parent') as parent:
        t1 = threading.Thread(target=plain)
        t2 = threading.Thread(target=RuntimeContext.with_current_context(carried))
        t1.start()
        t2.start()
        t1.join()
        t2.join()
    assert seen['plain'] is None
    assert seen['carried'] is parent
    spans = by_name(c.take())
    assert spans['thread/child'].parent_span_id == spans['thread/parent'].span_id


def test_copy_context_keeps_its_own_current_span():
    """Spans made current inside contextvars.copy_context().run() stay there; the caller's
    current span is unchanged, and the copy started from the caller's."""
    c = collector()
    tracer = Tracer(sampler=samplers.AlwaysOnSampler(), exporter=c)
    with tracer.span('copy/outer') as outer:
        ctx = contextvars.copy_context()

        def inside():
            assert execution_context.get_current_span() is outer
            span = tracer.start_span('copy/inside')
            return span

        span = ctx.run(inside)
        assert execution_context.get_current_span() is outer
        assert ctx.run(execution_context.get_current_span) is span
        ctx.run(tracer.end_span)
    spans = by_name(c.take())
    assert spans['copy/inside'].parent_span_id == spans['copy/outer'].span_id
