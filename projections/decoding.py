"""Decoding for catch-up: the ledger's mapper, with a faster JSON parser under its transcoder and
without the event attributes no projection of the catch-up reads.

Parsing the stored JSON is most of the cost of decoding an event (the standard library's scanner
calls the transcoder's object hook on every JSON object). When orjson is installed, the mapper
used for catch-up is a copy of the ledger's mapper whose transcoder parses with orjson and then
applies the ledger transcoder's own object hook to every JSON object, innermost first, exactly as
`json.JSONDecoder(object_hook=...)` does. The mapper itself (topic resolution, id conversion,
upcasting, cipher, compressor) is the library's, unchanged, so the domain events are of the same
classes with the same values.

Attributes that none of the projections being caught up reads (`unread_fields` on a projection,
e.g. the metadata envelope `meta`, `timestamp`, `originator_topic`) are dropped before they are
revived: the `meta` object alone is a third of the transcoding work. Such an event lacks those
attributes (reading one raises AttributeError); every other attribute has the mapper's value.
Classes with upcasters (`class_version` > 1) are always decoded whole: an upcaster may need any
field.

orjson refuses a few inputs the standard library accepts (NaN and Infinity, integers beyond 64
bits); such a state is decoded by the ledger's own transcoder instead. Without orjson, or with a
transcoder or mapper that is not the library's plain one, the ledger's mapper is used as it is.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Collection
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Mapper, Transcoder, Transcoding
from eventsourcing.utils import resolve_topic

try:
    import orjson
except ImportError:  # pragma: no cover - depends on the installation
    orjson = None


class FastJSONTranscoder(Transcoder):
    """Decodes like `base` (a JSONTranscoder) with orjson, leaving out the top-level keys in `omit`;
    encodes with `base`."""

    def __init__(self, base: JSONTranscoder, omit: Collection[str] = ()) -> None:
        self._base = base
        self._hook = base._decode_obj  # noqa: SLF001 - the transcoder's own object hook
        self._omit = tuple(omit)

    def register(self, transcoding: Transcoding) -> None:
        self._base.register(transcoding)

    def encode(self, obj: Any) -> bytes:
        return self._base.encode(obj)

    def decode(self, data: bytes) -> Any:
        try:
            parsed = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self._strip(self._base.decode(data))
        if type(parsed) is dict:
            if not _leaf(parsed):
                for key in self._omit:
                    parsed.pop(key, None)
            return self._object(parsed)
        if type(parsed) is list:
            self._array(parsed)
        return parsed

    def _strip(self, decoded: Any) -> Any:
        if type(decoded) is dict:
            for key in self._omit:
                decoded.pop(key, None)
        return decoded

    def _object(self, obj: dict[str, Any]) -> Any:
        """The object hook applied to `obj` after its members, innermost first."""
        hook = self._hook
        for key, value in obj.items():  # values replaced in place: the dict's size never changes
            kind = type(value)
            if kind is dict:
                obj[key] = hook(value) if _leaf(value) else self._object(value)
            elif kind is list:
                self._array(value)
        return hook(obj) if len(obj) == 2 else obj  # the hook returns any other size unchanged

    def _array(self, items: list[Any]) -> None:
        hook = self._hook
        for i, value in enumerate(items):
            kind = type(value)
            if kind is dict:
                items[i] = hook(value) if _leaf(value) else self._object(value)
            elif kind is list:
                self._array(value)


def _leaf(obj: dict[str, Any]) -> bool:
    """A transcoded value with a string payload ({"_type_": "datetime_iso", "_data_": "..."}): no
    member to visit first, so the hook can take it at once (most of an event's objects)."""
    return len(obj) == 2 and type(obj.get("_data_")) is str and type(obj.get("_type_")) is str


def _plain(mapper: Mapper) -> bool:
    """The library's Mapper over its JSONTranscoder with the standard decoder settings (nothing
    to mimic but the object hook)."""
    transcoder = mapper.transcoder
    if type(mapper).to_domain_event is not Mapper.to_domain_event:
        return False
    if not isinstance(transcoder, JSONTranscoder) or type(transcoder).decode is not JSONTranscoder.decode:
        return False
    decoder = getattr(transcoder, "decoder", None)
    return (
        isinstance(decoder, json.JSONDecoder)
        and decoder.object_hook == transcoder._decode_obj  # noqa: SLF001
        and decoder.object_pairs_hook is None
        and decoder.parse_float is float
        and decoder.parse_int is int
        and decoder.strict
    )


def _with_transcoder(mapper: Mapper, transcoder: Transcoder) -> Mapper:
    fast = copy.copy(mapper)
    fast.transcoder = transcoder
    return fast


def catch_up_decoder(mapper: Mapper, omit: Collection[str] = ()) -> Callable[[Any], Any]:
    """A function stored event -> domain event: `mapper.to_domain_event`, faster when orjson is
    installed, and without the attributes in `omit` (see the module docstring)."""
    if orjson is None or not _plain(mapper):
        return mapper.to_domain_event
    whole = _with_transcoder(mapper, FastJSONTranscoder(mapper.transcoder)).to_domain_event
    if not omit:
        return whole
    slim = _with_transcoder(mapper, FastJSONTranscoder(mapper.transcoder, omit)).to_domain_event
    upcast: dict[str, bool] = {}

    def decode(stored: Any) -> Any:
        topic = stored.topic
        whole_needed = upcast.get(topic)
        if whole_needed is None:
            whole_needed = upcast[topic] = getattr(resolve_topic(topic), "class_version", 1) > 1
        return whole(stored) if whole_needed else slim(stored)

    return decode
