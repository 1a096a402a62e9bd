"""StackTrace, as opencensus.trace.stack_trace: the frames of a traceback, for code that sets
``span.stack_trace`` (opencensus-ext-flask does on an error). census does not export a span's
stack trace (OpenTelemetry has no field for it); record it as an attribute (the integrations put
it in ``stacktrace``) to have it exported."""

import hashlib
import os
import random
import traceback

from census.trace._strings import get_truncatable_str

MAX_FRAMES = 128
BUILD_ID = os.environ.get('BUILD_ID', 'unknown')
SOURCE_VERSION = os.environ.get('SOURCE_VERSION', 'unknown')


class StackFrame(object):
    """One frame: function, file, line (the other fields as opencensus-python has them)."""

    def __init__(self, func_name, original_func_name, file_name, line_num, col_num, load_module,
                 build_id, source_version):
        self.func_name = func_name
        self.original_func_name = original_func_name
        self.file_name = file_name
        self.line_num = line_num
        self.col_num = col_num
        self.load_module = load_module
        self.build_id = build_id
        self.source_version = source_version

    def format_stack_frame_json(self):
        """opencensus-python's JSON form."""
        return {
            'function_name': get_truncatable_str(self.func_name),
            'original_function_name': get_truncatable_str(self.original_func_name),
            'file_name': get_truncatable_str(self.file_name),
            'line_number': self.line_num,
            'column_number': self.col_num,
            'load_module': {'module': get_truncatable_str(self.load_module),
                            'build_id': get_truncatable_str(self.build_id)},
            'source_version': get_truncatable_str(self.source_version),
        }


class StackTrace(object):
    """Up to 128 frames (the oldest dropped and counted) and a hash id."""

    def __init__(self, stack_frames=None, stack_trace_hash_id=None):
        stack_frames = list(stack_frames or [])
        self.dropped_frames_count = max(0, len(stack_frames) - MAX_FRAMES)
        self.stack_frames = stack_frames[-MAX_FRAMES:] if self.dropped_frames_count else \
            stack_frames
        self.stack_trace_hash_id = stack_trace_hash_id if stack_trace_hash_id is not None \
            else random.getrandbits(64)

    @classmethod
    def from_traceback(cls, tb):
        """The frames of a traceback object."""
        digest = hashlib.md5(usedforsecurity=False)
        for line in traceback.format_tb(tb):
            digest.update(line.encode('utf-8'))
        stack_trace = cls(stack_trace_hash_id=int(digest.hexdigest()[:12], 16))
        for filename, line_num, fn_name, _ in traceback.extract_tb(tb):
            stack_trace.add_stack_frame(StackFrame(fn_name, fn_name, filename, line_num, 0,
                                                   filename, BUILD_ID, SOURCE_VERSION))
        return stack_trace

    def add_stack_frame(self, stack_frame):
        """Appends a frame (counted as dropped beyond 128)."""
        if len(self.stack_frames) >= MAX_FRAMES:
            self.dropped_frames_count += 1
        else:
            self.stack_frames.append(stack_frame.format_stack_frame_json())

    def format_stack_trace_json(self):
        """opencensus-python's JSON form."""
        stack_trace_json = {}
        if self.stack_frames:
            stack_trace_json['stack_frames'] = {'frame': self.stack_frames,
                                                'dropped_frames_count': self.dropped_frames_count}
        stack_trace_json['stack_trace_hash_id'] = self.stack_trace_hash_id
        return stack_trace_json
