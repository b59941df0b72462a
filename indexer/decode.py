"""Probing and streaming frame decoding. The only module that imports PyAV or decord.

Frames are scaled by the decoder's scaler to a small working size (short side `short_side`
pixels) and yielded one at a time, so memory does not grow with a video's length or resolution.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from fractions import Fraction
from functools import partial
from pathlib import Path

import numpy as np

from indexer import files
from indexer.errors import NoPicture, VideoError, describe
from indexer.types import SAMPLE_RATE, AudioTrack, Frame, VideoInfo, main_track

log = logging.getLogger(__name__)

FrameSource = Callable[[VideoInfo, int, int], Iterator[Frame]]
"""A decoder backend: (probed video, short side in pixels, detail short side or 0) -> frames in
presentation order (see `frames`)."""
SCALE_THREADS = 1
"""Threads FFmpeg's scaler may use per frame. PyAV's default (0: one per core) gives the same
pixels but cost 4.6 ms a frame against 0.9 ms for one thread when scaling 640x360 to 398x224
on 2 busy cores (measured, PyAV 18): the decoder and the models already keep the cores busy."""


def _open(path: Path):  # type: ignore[no-untyped-def]
    """The container at `path`; a FIFO or device is refused before it is opened (reading one
    could block forever)."""
    import av

    try:
        files.fingerprint(path)  # NotARegularFile
    except OSError as exc:
        raise VideoError(path, f"not a readable media file ({describe(exc, 200)})") from exc
    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise VideoError(path, f"not a readable media file ({describe(exc, 200)})") from exc


def probe(path: Path) -> VideoInfo:
    """Read duration, frame rate, displayed size, rotation and streams of `path`.

    Decodes the first frame of the picture (or, in a file without one, of the main audio track),
    so a file that cannot be decoded fails here, early and cheaply. Durations are 0.0 when the
    container does not say; the pipeline measures them while decoding."""
    import av

    if path.is_file() and path.stat().st_size == 0:
        raise VideoError(path, "empty file")
    with _open(path) as container:
        tracks = _tracks(container)
        stream = _video_stream(container)
        if stream is None:
            if not tracks:
                raise VideoError(path, "no video or audio stream")
            return _sound_only(path, container, tracks)
        try:
            first = next(container.decode(stream))
        except (StopIteration, av.FFmpegError) as exc:
            raise VideoError(path, "no decodable video frame") from exc
        rotation = round(getattr(first, "rotation", 0) or 0) % 360
        width, height = first.width, first.height
        if rotation in (90, 270):
            width, height = height, width
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        return VideoInfo(
            path=path,
            duration=_duration(container, stream),
            fps=float(rate),
            width=width,
            height=height,
            rotation=rotation,
            has_audio=bool(tracks),
            codec=stream.codec_context.name,
            frames=int(stream.frames or 0),
            tracks=tracks,
            audio_duration=_audio_duration(container),
        )


def _sound_only(path: Path, container, tracks: tuple[AudioTrack, ...]) -> VideoInfo:  # type: ignore[no-untyped-def]
    """The VideoInfo of a file with sound and no picture, once its main track is seen to decode."""
    import av

    main = main_track(tracks)
    assert main is not None  # the caller has seen tracks
    stream = container.streams.audio[main.index]
    try:
        next(container.decode(stream))
    except (StopIteration, av.FFmpegError) as exc:
        raise VideoError(path, "no video stream, and the audio does not decode") from exc
    duration = _audio_duration(container)
    codec = stream.codec_context.name
    return VideoInfo(path, duration, 0.0, 0, 0, 0, True, codec, has_video=False, tracks=tracks, audio_duration=duration)


def _tracks(container) -> tuple[AudioTrack, ...]:  # type: ignore[no-untyped-def]
    import av

    default = av.stream.Disposition.default
    tracks = []
    for n, stream in enumerate(container.streams.audio):
        language, title = stream.metadata.get("language", ""), stream.metadata.get("title", "").strip()
        tracks.append(AudioTrack(n, _language(language), title, bool(stream.disposition & default)))
    return tuple(tracks)


def _language(tag: str) -> str:
    """A stream's language tag, '' for none or "und" (undetermined, ISO 639-2)."""
    return "" if tag.strip().lower() in ("", "und") else tag.strip()


def _audio_duration(container) -> float:  # type: ignore[no-untyped-def]
    """Where the longest audio stream is declared to end, seconds from the file's start (0.0 when
    nothing is declared); a stream that starts late ends late."""
    ends = []
    for stream in container.streams.audio:
        if stream.duration is not None and stream.time_base is not None:
            begins = (
                float(stream.start_time * stream.time_base) - _origin(container, stream) if stream.start_time else 0.0
            )
            ends.append(max(0.0, begins) + float(stream.duration * stream.time_base))
        elif container.duration is not None:
            ends.append(container.duration / 1_000_000)
    return max(ends, default=0.0)


def _video_stream(container):  # type: ignore[no-untyped-def]
    """The first real video stream: cover art in an audio file (attached picture) does not count."""
    import av

    attached = av.stream.Disposition.attached_pic
    return next((s for s in container.streams.video if not s.disposition & attached), None)


def _duration(container, stream) -> float:  # type: ignore[no-untyped-def]
    """A stream's declared length in seconds: its own, else its Matroska DURATION tag, else the
    container's (that of its longest stream), else 0.0."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    tagged = _clock_seconds(stream.metadata.get("DURATION", ""))
    if tagged is not None:
        return tagged
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0


def _clock_seconds(text: str) -> float | None:
    """Seconds of an "HH:MM:SS.fraction" tag (Matroska's per-track DURATION); None if it is not one."""
    hours, _, rest = text.strip().partition(":")
    minutes, _, seconds = rest.partition(":")
    try:
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


def working_size(info: VideoInfo, short_side: int) -> tuple[int, int]:
    """Decoded (width, height) before rotation: short side `short_side` (never upscaled), even sizes."""
    width, height = (info.height, info.width) if info.rotation in (90, 270) else (info.width, info.height)
    scale = min(1.0, short_side / max(1, min(width, height)))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _upright(image: np.ndarray, rotation: int) -> np.ndarray:
    """Apply a display-matrix rotation (degrees counter-clockwise, as FFmpeg reports it)."""
    turns = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=turns)) if turns else image


def pyav_frames(info: VideoInfo, short_side: int, detail_side: int = 0) -> Iterator[Frame]:
    """Stream frames with PyAV (FFmpeg), using exact presentation timestamps (right for VFR).
    A frame's `detail` is scaled from the decoded picture only when it is asked for."""
    import av

    width, height = working_size(info, short_side)
    detail = working_size(info, detail_side) if detail_side > short_side else None
    with _open(info.path) as container:
        stream = _video_stream(container)
        stream.thread_type = "AUTO"
        origin = _origin(container, stream)
        clock = _Clock(1.0 / max(info.fps, 1e-3))
        index = 0
        try:
            for frame in container.decode(stream):
                stamp = float(frame.pts * stream.time_base) - origin if frame.pts is not None else index / info.fps
                time = clock(stamp)
                image = _rgb(frame, width, height, info.rotation)
                larger = partial(_rgb, frame, *detail, info.rotation) if detail else None
                yield Frame(index, max(0.0, time), image, enlarged=larger)
                index += 1
        except av.FFmpegError as exc:
            if index == 0:
                raise VideoError(info.path, f"video does not decode ({describe(exc, 200)})") from exc
            log.warning("%s: decoding stopped after %d frames: %s", info.path, index, describe(exc, 200))


def _rgb(frame, width: int, height: int, rotation: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A decoded PyAV frame as HxWx3 uint8 RGB at (width, height) before rotation, upright."""
    return _upright(frame.to_ndarray(width=width, height=height, format="rgb24", threads=SCALE_THREADS), rotation)


RESET = 1.0
"""Seconds by which a frame's timestamp may fall behind the frame before it before that counts as
the clock starting again (frames come in presentation order, so a real step back is a reset)."""


class _Clock:
    """Frame times on one timeline: when timestamps jump back by more than RESET seconds (two
    recordings joined byte for byte, `cat a.ts b.ts`: the second's clock starts again), the frames
    go on from the one before, as players play them."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.shift = 0.0
        self.last: float | None = None

    def __call__(self, stamp: float) -> float:
        time = stamp + self.shift
        if self.last is not None and time < self.last - RESET:
            self.shift += self.last + self.step - time
            time = self.last + self.step
        self.last = time
        return time


def _origin(container, stream) -> float:  # type: ignore[no-untyped-def]
    """The time players call 0: the container's start time, else the stream's."""
    if container.start_time is not None:
        return container.start_time / 1_000_000
    if stream.start_time is not None:
        return float(stream.start_time * stream.time_base)
    return 0.0


def decord_frames(info: VideoInfo, short_side: int, detail_side: int = 0) -> Iterator[Frame]:
    """Stream frames with decord (decoder-side resize), in batches. Opens the file eagerly.

    About 20 % faster than PyAV on H.264, but its reader decodes far ahead of what is asked:
    ~1.3 GB resident within a second of opening a 3-minute 360p file (PyAV: under 100 MB), so it
    is not the default. With a `detail_side`, frames are decoded at that size and the working
    copy is scaled down from it.

    decord trusts a container's frame count and aborts the whole process on an absurd one
    (std::bad_alloc), so a file whose declared count its duration cannot explain is refused first."""
    import decord

    if not _plausible_frame_count(info):
        raise VideoError(info.path, f"declares {info.frames} frames for {info.duration:.1f} s; not given to decord")
    if detail_side > short_side:
        return _with_detail(decord_frames(info, detail_side), working_size(info, short_side), info.rotation)
    width, height = working_size(info, short_side)
    try:
        reader = decord.VideoReader(str(info.path), width=width, height=height, num_threads=0)
    except (decord.DECORDError, RuntimeError, IndexError, AssertionError) as exc:
        raise VideoError(info.path, f"video does not decode ({describe(exc, 200)})") from exc
    return _decord_batches(reader, info)


def _plausible_frame_count(info: VideoInfo) -> bool:
    if info.frames <= 0:
        return True
    expected = info.duration * max(info.fps, 1.0) if info.duration > 0 else 0.0
    return info.frames <= MAX_FRAMES and (expected == 0.0 or info.frames <= 2 * expected + 1000)


MAX_FRAMES = 50_000_000
"""More frames than any real video has (a week at 60 fps is 36 million)."""


def _decord_batches(reader, info: VideoInfo, batch: int = 32) -> Iterator[Frame]:  # type: ignore[no-untyped-def]
    import decord

    total = len(reader)
    rotation = info.rotation
    clock = _Clock(1.0 / max(info.fps, 1e-3))
    for first in range(0, total, batch):
        indices = list(range(first, min(total, first + batch)))
        try:
            images = reader.get_batch(indices).asnumpy()
            times = reader.get_frame_timestamp(indices)[:, 0]
        except (decord.DECORDError, RuntimeError, IndexError) as exc:
            if first == 0:
                raise VideoError(info.path, f"video does not decode ({describe(exc, 200)})") from exc
            log.warning("%s: decoding stopped after %d frames: %s", info.path, first, describe(exc, 200))
            return
        for index, image, stamp in zip(indices, images, times):
            time = clock(float(stamp))
            # a copy: a view would keep the whole batch alive as long as any one frame is kept
            yield Frame(index, max(0.0, round(time, 6)), _upright(image.copy(), rotation))


def auto_frames(info: VideoInfo, short_side: int, detail_side: int = 0) -> Iterator[Frame]:
    """decord where it can decode the file (faster on common codecs), PyAV where it cannot."""
    try:
        stream = decord_frames(info, short_side, detail_side)
        first = next(stream, None)
    except VideoError as exc:
        log.info("decord cannot read %s (%s); using PyAV", info.path, exc.reason)
        yield from pyav_frames(info, short_side, detail_side)
        return
    if first is not None:
        yield first
        yield from stream


DECODERS: dict[str, FrameSource] = {"auto": auto_frames, "decord": decord_frames, "pyav": pyav_frames}
"""Available decoder backends by name; `Settings.decoder` picks one."""


def frames(info: VideoInfo, short_side: int, decoder: str = "pyav", detail_side: int = 0) -> Iterator[Frame]:
    """Frames of a probed video at working size, in presentation order, one at a time.

    With `detail_side` larger than `short_side`, frames also carry the picture at that size (never
    upscaled) as `detail`, for reading text; one decode serves both (PyAV scales it only for the
    frames whose `detail` is read)."""
    try:
        source = DECODERS[decoder]
    except KeyError:
        raise ValueError(f"unknown decoder {decoder!r}; choose from {sorted(DECODERS)}") from None
    if not info.has_video:
        raise VideoError(info.path, "no video stream: the file has sound only")
    return source(info, short_side, detail_side)


def _with_detail(stream: Iterator[Frame], size: tuple[int, int], rotation: int) -> Iterator[Frame]:
    import cv2

    width, height = (size[1], size[0]) if rotation in (90, 270) else size
    for frame in stream:
        image = frame.image
        if image.shape[1] != width or image.shape[0] != height:
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        yield Frame(frame.index, frame.time, image, enlarged=partial(np.asarray, frame.image))


def frame_at(path: Path, time: float, short_side: int) -> np.ndarray:
    """The frame shown at `time` seconds (HxWx3 uint8 RGB, upright, short side `short_side` px at
    most): a seek to the keyframe before it, then decoding forward. For thumbnails."""
    import av

    info = probe(path)
    if not info.has_video:
        return _cover(path, short_side)
    width, height = working_size(info, short_side)
    with _open(path) as container:
        stream = _video_stream(container)
        origin = _origin(container, stream)
        container.seek(int(max(0.0, time + origin) * 1_000_000), backward=True)
        chosen = None
        try:
            for frame in container.decode(stream):
                shown = float(frame.pts * stream.time_base) - origin if frame.pts is not None else time
                if chosen is not None and shown > time + 1e-3:
                    break
                chosen = frame
        except av.FFmpegError as exc:
            if chosen is None:
                raise VideoError(path, f"video does not decode at {time:.2f} s ({describe(exc, 200)})") from exc
        if chosen is None:
            raise VideoError(path, f"no frame at {time:.2f} s")
        return _rgb(chosen, width, height, info.rotation)


def _cover(path: Path, short_side: int) -> np.ndarray:
    """The cover art of a file without pictures (an attached picture, as in many .mp3 and .m4a
    files), like `frame_at`; NoPicture when it has none."""
    import av

    with _open(path) as container:
        attached = av.stream.Disposition.attached_pic
        stream = next((s for s in container.streams.video if s.disposition & attached), None)
        try:
            cover = next(container.decode(stream)) if stream is not None else None
        except (StopIteration, av.FFmpegError):
            cover = None
        if cover is None:
            raise NoPicture(path)
        scale = min(1.0, short_side / max(1, min(cover.width, cover.height)))
        width, height = max(2, round(cover.width * scale)), max(2, round(cover.height * scale))
        return cover.to_ndarray(width=width, height=height, format="rgb24", threads=SCALE_THREADS)


JITTER = 0.02
"""Seconds by which a piece of sound may sit off the place its timestamp gives before it is
moved there (timestamps in whole milliseconds, as Matroska stores them, wobble by one)."""
HOLE = 2.0
"""Seconds of missing sound (a hole in the stream, or sound starting late) up to which silence
is filled in, as players play it; after a longer hole the next chunk simply starts later."""


def audio(path: Path, track: int = 0) -> np.ndarray:
    """Audio track `track` of `path` as 16 kHz mono float32 samples in [-1, 1], whole, sample 0
    at the file's time 0 (a late start or a hole is silence). Empty (shape (0,)) when the file
    has no such track. For long files prefer `audio_chunks`."""
    pieces: list[np.ndarray] = []
    reach = 0
    for offset, samples in audio_chunks(path, track=track):
        at = round(offset * SAMPLE_RATE)
        pieces += [np.zeros(max(0, at - reach), np.float32), samples]
        reach = at + len(samples)
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def audio_chunks(path: Path, seconds: float = 120.0, track: int = 0) -> Iterator[tuple[float, np.ndarray]]:
    """(start in seconds, samples) of audio track `track` (the file's `track`-th audio stream),
    16 kHz mono float32, about `seconds` at a time (each chunk ends at the quietest moment of its
    last 10 s), so an hour of sound costs no more memory than a few minutes.

    Samples are placed by their timestamps, on the clock the pictures use (0 is the file's start,
    as players count): sound that starts late starts late, holes up to HOLE seconds are silence,
    a longer hole starts a new chunk, overlapping pieces are not heard twice, and a change of
    sample rate or channel layout mid-stream is followed. A stream that breaks mid-way keeps what
    decoded before the break, so one bad packet does not cost a video its transcript."""
    size = int(seconds * SAMPLE_RATE)
    with _open(path) as container:
        if track >= len(container.streams.audio):
            return
        stream = container.streams.audio[track]
        pending: list[np.ndarray] = []
        have = start = 0
        for at, piece in _runs(_placed(container, stream, _origin(container, stream), path)):
            if have and at != start + have:  # after a long hole
                yield start / SAMPLE_RATE, np.concatenate(pending)
                pending, have = [], 0
            if not have:
                start = at
            pending.append(piece)
            have += len(piece)
            while have >= size:
                joined = np.concatenate(pending)
                cut = _quiet_cut(joined[:size])
                yield start / SAMPLE_RATE, joined[:cut]
                pending, have, start = [joined[cut:]], have - cut, start + cut
        if have:
            yield start / SAMPLE_RATE, np.concatenate(pending)


def _runs(pieces: Iterator[tuple[int | None, np.ndarray]]) -> Iterator[tuple[int, np.ndarray]]:
    """(first sample, samples) of `pieces` placed on the timeline: each follows the one before,
    with silence across a hole of up to HOLE seconds and without what it repeats of the one
    before; after a longer hole it starts at its own place. Timestamps that jump back further
    than HOLE (a reset) are ignored: the sound plays on in order. Nothing before 0 is kept."""
    cursor: int | None = None
    jitter, hole = JITTER * SAMPLE_RATE, HOLE * SAMPLE_RATE
    for stamped, piece in pieces:
        at = stamped if stamped is not None else cursor or 0
        if cursor is not None:
            gap = at - cursor
            if jitter < gap <= hole:
                yield cursor, np.zeros(gap, np.float32)
                cursor = at
            elif -hole <= gap < -jitter:
                piece = piece[-gap:]
            at = cursor if gap <= hole else at
        if at < 0:
            piece, at = piece[-at:], 0
        if len(piece):
            yield at, piece
            cursor = at + len(piece)


QUIET_SEARCH = 10.0
"""Seconds at the end of a chunk searched for its quietest moment, where the chunk is cut."""
QUIET_WINDOW = 0.1
"""Seconds over which loudness is measured when looking for a quiet moment."""


def _quiet_cut(samples: np.ndarray) -> int:
    """Where to end a chunk of `samples`: at the quietest QUIET_WINDOW of its last QUIET_SEARCH
    seconds (at most its last eighth; a pause between sentences, rarely a word), so speech is
    seldom cut in two."""
    window = int(QUIET_WINDOW * SAMPLE_RATE)
    start = len(samples) - min(int(QUIET_SEARCH * SAMPLE_RATE), len(samples) // 8)
    tail = samples[start:]
    count = len(tail) // window
    if count < 2:
        return len(samples)
    energy = np.square(tail[: count * window]).reshape(count, window).mean(axis=1)
    return start + (int(np.argmin(energy)) + 1) * window


def _placed(container, stream, origin: float, path: Path) -> Iterator[tuple[int | None, np.ndarray]]:  # type: ignore[no-untyped-def]
    """(sample from time 0 where the piece belongs, or None when it has no timestamp; 16 kHz mono
    float32 samples) of every decoded piece of `stream`, in decoding order.

    A resampler is made for the stream's format and made anew when the format changes (FFmpeg's
    resampler refuses frames unlike its first)."""
    import av

    resampler, shape = None, None
    decoded = 0.0
    try:
        for frame in container.decode(stream):
            if frame.pts is not None and frame.time_base is not None:
                decoded = float(frame.pts * frame.time_base) - origin
            layout = (frame.format.name, frame.layout.name, frame.sample_rate)
            if resampler is None or layout != shape:
                if resampler is not None:
                    log.info("%s: audio changes to %s at %.1f s", path, layout, decoded)
                    yield from _pieces(resampler.resample(None), origin)
                resampler, shape = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE), layout
            yield from _pieces(resampler.resample(frame), origin)
        if resampler is not None:
            yield from _pieces(resampler.resample(None), origin)
    except (av.FFmpegError, ValueError) as exc:
        log.warning("%s: audio decoding stopped at %.1f s: %s", path, decoded, describe(exc, 200))


def _pieces(frames, origin: float) -> Iterator[tuple[int | None, np.ndarray]]:  # type: ignore[no-untyped-def]
    for out in frames:
        samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        if out.pts is None or out.time_base is None:
            yield None, samples
        else:
            yield round((float(out.pts * out.time_base) - origin) * SAMPLE_RATE), samples
