"""Generate an evaluation video library with ground truth, to measure search quality.

Each split (`test` for reported figures, `calibration` for choosing score thresholds) is a dozen 25-45 s
videos of 3-5 hard-cut scenes over text-free lavfi backgrounds (or real footage from the shared media
folder when present). Every scene carries spoken sentences (flite's `slt` voice), drawn titles and
captions, and synthetic sound events at known times; sounds never overlap speech. Both splits share
one layout (`LAYOUT`) but have different sentences, titles and queries.

After those twelve come the videos of `eval_multilingual.WORLD_LAYOUT` (content in eval_multilingual.py):
two each of Italian, Russian and Catalan speech (Debian festival voices) and two of Chinese titles and
captions (a CJK font), with queries of the kinds `same:<lang>`, `cross:en-<lang>`, `screen:zh`,
`cross:en-zh`; queries in Italian, Spanish and Russian for the English speech (`cross:<lang>-en`); and
off-topic queries in every language (`offtopic:<lang>`). Without festival, one of its voices or a CJK
font, the videos (and queries) that need it are left out with a warning on stderr and recorded under
`missing` in library.json; the other videos keep their names and numbers.

Outputs in `--out`: `<split>_NN.mp4` (H.264 + AAC, 640x360, 25 fps), `library.json` (scenes,
sentences, texts and sounds of every video, in seconds) and `queries.jsonl` (one query a line:
query, video, start, end, kind; off-topic queries have video null). Existing videos are kept
unless `--force` or their recorded plan changed.

Usage: python scripts/make_eval_library.py --out data/eval/test --split test [--shared PATH] [--force]
"""

from __future__ import annotations

import argparse
import array
import functools
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import wave
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from eval_multilingual import (
        CALIBRATION_WORLD,
        LANGUAGES,
        OFFTOPIC_LANGUAGES,
        SCREEN_LANGUAGE,
        TEST_WORLD,
        TRANSLATED,
        WORLD_LAYOUT,
        Language,
        Said,
        Sign,
        World,
    )
    from make_samples import FPS, HEIGHT, ROOT, SAMPLE_RATE, WIDTH, escape, find_font, has_filter, speak
except ImportError:  # imported as scripts.make_eval_library
    from scripts.eval_multilingual import (
        CALIBRATION_WORLD,
        LANGUAGES,
        OFFTOPIC_LANGUAGES,
        SCREEN_LANGUAGE,
        TEST_WORLD,
        TRANSLATED,
        WORLD_LAYOUT,
        Language,
        Said,
        Sign,
        World,
    )
    from scripts.make_samples import FPS, HEIGHT, ROOT, SAMPLE_RATE, WIDTH, escape, find_font, has_filter, speak

RENDER_VERSION = "1"
"""Bump to force every video to be re-rendered (part of each video's render hash)."""

LEAD, GAP, TAIL = 0.5, 0.8, 0.7
"""Seconds before a scene's first sound or sentence, between two of them, and after the last."""
MIN_SCENE = 8.0
SCENE_STEP = 0.2
"""Scene lengths are rounded up to a multiple of this (5 frames), so cuts fall on frames."""
CAPTION_PAD = 0.3
"""An overlay tied to one sentence shows from this long before it until this long after."""
VOICE_LEVEL = 300
"""Samples louder than this (of 32767) count as speech when measuring a sentence's bounds."""
VIDEO_SECONDS = (25.0, 45.0)
MIN_QUERIES = {
    "speech_keyword": 20,
    "speech_paraphrase": 20,
    "ocr": 20,
    "cross_modal": 12,
    "audio": 10,
    "offtopic": 40,
}
WORLD_KINDS: tuple[str, ...] = (
    *(f"same:{code}" for code in LANGUAGES),
    *(f"cross:en-{code}" for code in LANGUAGES),
    *(f"cross:{code}-en" for code in TRANSLATED),
    f"screen:{SCREEN_LANGUAGE}",
    f"cross:en-{SCREEN_LANGUAGE}",
    *(f"offtopic:{code}" for code in OFFTOPIC_LANGUAGES),
)
"""Kinds of the queries about content beyond English (see eval_multilingual.py), in queries.jsonl order."""
MIN_WORLD_QUERIES = 10
"""Least queries of each of `WORLD_KINDS` (of those whose content was made)."""
GRID_POSITIONS = ("top", "centre", "bottom", "top-left")
"""Where each cross-modal grid draws its titles."""
LARGE_SIZES = (44, 40, 48, 36)
SMALL_SIZES = (16, 14, 18)
LARGE_STYLES = (("white", "black@0.6"), ("yellow", "black@0.65"), ("black", "white@0.8"))
SMALL_STYLES = (("white", "black@0.7"), ("black", "white@0.85"))


@dataclass(frozen=True)
class Background:
    """A lavfi video source, or one shot of real footage (under the shared media folder) with that fallback.

    Footage plays from `offset` for at most `length` seconds (the shot's end); a longer scene holds the last frame.
    """

    source: str
    size: str = f"{WIDTH}x{HEIGHT}"
    extra: str = ""
    footage: str = ""
    offset: float = 0.0
    length: float = 0.0
    crop: str = ""


TESTVIDEO = "scenes/testvideo.mp4"
"""Shots: 0-1.0 s, 1.0-6.0 s (a leaf on a stone), 6.0-24.0 s (a deer in a forest); a copyright line at the bottom."""
TESTVIDEO_CROP = "1024:576:128:0"
"""The part of testvideo.mp4 above its copyright line."""
BUNNY = "edge/big_buck_bunny_0_30.webm"
"""The first shot (0-11.8 s, a meadow under a pink sky) has no text; the titles come at 20 s."""
BACKGROUNDS: dict[str, Background] = {
    "gradient_blue": Background("gradients=c0=0x0a3d91:c1=0x6fd3ff:speed=0.02:seed=1"),
    "gradient_orange": Background("gradients=c0=0x7a2e00:c1=0xffb347:speed=0.03:type=radial:seed=2"),
    "gradient_green": Background("gradients=c0=0x0b3d0b:c1=0x9be39b:speed=0.015:type=circular:seed=3"),
    "cellauto": Background("cellauto=rule=110:seed=4", size="320x180"),
    "smptebars": Background("smptebars"),
    "rgbtestsrc": Background("rgbtestsrc"),
    "mandelbrot": Background("mandelbrot=start_scale=2:end_scale=0.4"),
    "life": Background("life=mold=10:ratio=0.2:seed=5:life_color=0x30c040:death_color=0x0c2410", size="160x90"),
    "navy": Background("color=c=0x102050", extra="drawgrid=w=64:h=64:t=2:c=0x3050a0"),
    "meadow": Background(
        "life=mold=20:ratio=0.3:seed=6:life_color=0x7ac943:death_color=0x254d12",
        size="160x90",
        footage=BUNNY,
        offset=0.1,
        length=11.6,
    ),
    "deer": Background(
        "gradients=c0=0x5a2d0c:c1=0xe0a040:speed=0.01:seed=7",
        footage=TESTVIDEO,
        offset=6.2,
        length=17.7,
        crop=TESTVIDEO_CROP,
    ),
    "deer_late": Background(
        "gradients=c0=0x3a3a20:c1=0xc08030:speed=0.02:type=spiral:seed=8",
        footage=TESTVIDEO,
        offset=14.0,
        length=9.9,
        crop=TESTVIDEO_CROP,
    ),
    "leaf": Background(
        "gradients=c0=0x303030:c1=0x909090:speed=0.01:seed=9",
        footage=TESTVIDEO,
        offset=1.1,
        length=4.8,
        crop=TESTVIDEO_CROP,
    ),
}


@dataclass(frozen=True)
class SoundKind:
    """A synthetic sound event: the AudioSet/YAMNet class it should trigger, its length and its lavfi source."""

    label: str
    seconds: float
    source: str
    """lavfi audio source without rate or duration; empty for the shared recording `CRUNCH_FILE`."""


SOUNDS: dict[str, SoundKind] = {
    "dial": SoundKind("Telephone / Dial tone", 3.0, "aevalsrc='0.3*sin(2*PI*350*t)+0.3*sin(2*PI*440*t)'"),
    "beeps": SoundKind("Beep, bleep", 3.0, "aevalsrc='0.5*sin(2*PI*1000*t)*lt(mod(t,0.5),0.2)'"),
    "white": SoundKind("Static / White noise", 3.0, "anoisesrc=color=white:amplitude=0.3:seed=11"),
    "pink": SoundKind("Pink noise", 2.5, "anoisesrc=color=pink:amplitude=0.3:seed=12"),
    "piano": SoundKind(
        "Music",
        3.5,
        "aevalsrc='0.2*(sin(2*PI*261.6*t)+sin(2*PI*329.6*t)+sin(2*PI*392*t))*exp(-3*mod(t,0.5))'",
    ),
    "sine": SoundKind("Sine wave", 2.5, "aevalsrc='0.3*sin(2*PI*2500*t)'"),
    "crunch": SoundKind("Crunch / Chewing", 3.0, ""),
}
CRUNCH_FILE = "edge/crunching.mp3"
CRUNCH_GAIN_DB = 12
"""The recording is quiet (peaks at -16 dB); this brings it near the level of the speech."""

LAYOUT: tuple[str, ...] = (
    "gradient_blue: T F / L top | cellauto: T dial / C bottom-right@0 | smptebars: M000 | meadow: F",
    "mandelbrot: T / L centre | deer: M100 F | life: T beeps / C top-right@1 | rgbtestsrc: M311",
    "gradient_orange: T / C bottom | navy: M200 | mandelbrot: white T / L top-left | cellauto: M301",
    "life: T F / L top-right | smptebars: M001 / C bottom-left | deer_late: T pink | cellauto: F",
    "gradient_green: M101 | leaf: T | rgbtestsrc: F / L centre | mandelbrot: M300 / C bottom | navy: T piano",
    "meadow: T F / C top-right | life: M201 / L top | smptebars: T sine | gradient_blue: M110 / C bottom-left",
    "cellauto: M010 T / C bottom-left | gradient_orange: F / L centre | leaf: crunch T | mandelbrot: M211",
    "rgbtestsrc: T / L bottom-left | deer: M011 F | life: T / C top-left@0 | navy: M210",
    "gradient_green: T T F / C bottom-right@1 | mandelbrot: M310 F / L bottom | smptebars: F",
    "smptebars: T / L top | meadow: F T / C top-left | life: M111 | gradient_orange: F / C bottom-right",
    "gradient_blue: T / C bottom | navy: T / L top-right | deer_late: F | rgbtestsrc: F",
    "cellauto: T / L centre | mandelbrot: F / C bottom-left | deer: T | life: F / C top-right",
)
"""Both splits' videos, one string each: scenes split by `|`, each `background: items / overlays`.

Items, in the order they are heard: `T` the split's next target sentence, `F` its next filler sentence,
`Mgij` cross-modal grid g's title i shown while its sentence j is said, or a `SOUNDS` key.
Overlays (comma-separated): `L position` the next large title, `C position` the next small caption,
shown for the whole scene, or only around item k with `@k`."""


@dataclass(frozen=True)
class Target:
    """A sentence that is the answer to one keyword query and one paraphrase query."""

    text: str
    keyword: str
    paraphrase: str


@dataclass(frozen=True)
class Grid:
    """Two titles x two sentences; each pairing is shown once, so only title + speech together is unique."""

    titles: tuple[str, str]
    sentences: tuple[str, str]
    queries: tuple[str, str, str, str]
    """Queries for (title, sentence) = (0, 0), (0, 1), (1, 0), (1, 1)."""


@dataclass(frozen=True)
class Split:
    """Everything a split says and shows, in the order `LAYOUT` consumes it."""

    targets: tuple[Target, ...]
    fillers: tuple[str, ...]
    large: tuple[str, ...]
    small: tuple[str, ...]
    grids: tuple[Grid, ...]
    sound_queries: dict[str, tuple[str, ...]]
    offtopic: tuple[str, ...]
    world: World


TEST = Split(
    targets=(
        Target(
            "The express to Dunmore leaves from platform forty two at noon.",
            "Dunmore platform 42",
            "which track the midday express departs from",
        ),
        Target("Add three spoonfuls of saffron to the risotto.", "saffron risotto", "put the yellow spice in the rice"),
        Target(
            "The central bank raised interest rates by half a percent.",
            "central bank interest rates",
            "borrowing money became more expensive after the policy decision",
        ),
        Target(
            "Jupiter has ninety five known moons.", "Jupiter 95 moons", "how many satellites orbit the largest planet"
        ),
        Target(
            "Heavy hail is expected over the mountains on Thursday.",
            "hail mountains Thursday",
            "ice falling on the peaks later this week",
        ),
        Target(
            "Flight seven one seven to Lisbon is now boarding at gate nine.",
            "flight 717 Lisbon gate 9",
            "passengers for Portugal can get on the plane now",
        ),
        Target(
            "The goalkeeper saved a penalty in the final minute.",
            "goalkeeper saved a penalty",
            "a spot kick was stopped at the very end of the game",
        ),
        Target(
            "This bronze statue was found in a shipwreck near Sicily.",
            "bronze statue shipwreck Sicily",
            "a metal sculpture recovered from a sunken vessel",
        ),
        Target(
            "The evening bus to Dunmore departs from platform twenty four.",
            "evening bus Dunmore platform 24",
            "which stop the late coach to that town leaves from",
        ),
        Target(
            "Plant the daffodils in October, six inches deep.",
            "daffodils October",
            "how deep to bury spring flowers in autumn",
        ),
        Target(
            "We had a picnic on the grassy bank of the river.",
            "picnic on the bank of the river",
            "eating lunch outdoors beside the stream",
        ),
        Target(
            "Late library books can be returned without a fine until Friday.",
            "library books fine Friday",
            "no penalty for bringing back overdue loans this week",
        ),
        Target(
            "Flight seven seven one for Lisbon has been cancelled.",
            "flight 771 Lisbon cancelled",
            "the plane to Portugal will not take off today",
        ),
        Target(
            "A cricket bat is carved from a single piece of willow.",
            "cricket bat willow",
            "what the wooden club used in the sport is made from",
        ),
        Target("She struck a match and lit the candle.", "struck a match candle", "lighting a wick with a small flame"),
        Target(
            "Hold the plank position for forty five seconds.",
            "plank 45 seconds",
            "keep your body straight on your elbows for under a minute",
        ),
        Target(
            "The mechanic replaced the worn brake pads on the left wheel.",
            "mechanic brake pads",
            "new stopping parts were fitted to the car",
        ),
        Target(
            "This violin was built in Venice three hundred years ago.",
            "violin Venice 300 years",
            "an antique string instrument from an Italian workshop",
        ),
        Target(
            "A loud cricket kept us awake all night in the tent.",
            "cricket awake tent",
            "an insect chirping stopped the campers from sleeping",
        ),
        Target("The final match ended in a tie.", "final match ended in a tie", "the championship game finished level"),
        Target(
            "The dentist says to brush your teeth for two minutes.",
            "dentist brush teeth two minutes",
            "how long dental hygiene should take each time",
        ),
        Target(
            "The glacier has retreated four hundred metres since nineteen ninety.",
            "glacier retreated 1990",
            "the ice sheet has shrunk a long way over three decades",
        ),
        Target(
            "The pharmacy on Elm Street opens at eight thirty.",
            "pharmacy Elm Street",
            "when the chemist shop opens in the morning",
        ),
        Target(
            "Our chess club meets every Tuesday in room number twelve.",
            "chess club Tuesday room 12",
            "when the board game group gets together each week",
        ),
    ),
    fillers=(
        "Trains to the airport run every fifteen minutes.",
        "Welcome back to the evening news.",
        "The savings bank on the corner is closed today.",
        "The hockey club signed a new striker.",
        "Our next story comes from the coast.",
        "The weather will stay dry for the rest of the week.",
        "The bakery on Elm Street closes at noon.",
        "Candles were sold out at the corner shop.",
        "Remember to stretch before you start.",
        "The museum opens a new wing in the spring.",
        "The car park is now closed.",
        "Let's look at the next picture.",
        "Thanks for watching, see you next week.",
        "The river was calm and quiet this morning.",
        "That is the end of today's programme.",
        "Here is a quick update from the newsroom.",
        "Stay with us after the break.",
        "Our reporter has more on that story.",
    ),
    large=(
        "CENTRAL STATION",
        "CITY MARATHON",
        "SCIENCE FAIR",
        "FARMERS MARKET",
        "GRAND OPENING",
        "ROOFTOP GARDEN",
        "JAZZ NIGHT",
        "BOOK SALE",
        "FLOOD WARNING",
        "HARBOUR FESTIVAL",
        "ART GALLERY",
        "WINTER CLEARANCE",
    ),
    small=(
        "all times are local",
        "subscribe for weekly updates",
        "photo courtesy of the city archive",
        "platform 24 closed for repairs",
        "sponsored by Maple Bakery",
        "interview filmed in Oslo",
        "prices include sales tax",
        "recorded live in studio four",
        "repeat broadcast",
        "next episode on Monday",
        "tickets at the box office",
        "captions by the volunteer team",
        "filmed on a handheld camera",
        "special thanks to our viewers",
        "live coverage continues online",
    ),
    grids=(
        Grid(
            ("NIGHT SHIFT", "MORNING REPORT"),
            ("The generator in the basement has stopped.", "All our delivery trucks are back at the depot."),
            (
                "NIGHT SHIFT title while she says the basement generator stopped",
                "NIGHT SHIFT on screen when the delivery trucks are back at the depot",
                "MORNING REPORT slide about the generator breaking down",
                "MORNING REPORT while announcing the lorries returned to the depot",
            ),
        ),
        Grid(
            ("SPRING MENU", "CHEFS TABLE"),
            ("Tonight the soup is roasted pumpkin with ginger.", "For dessert we have warm apple crumble and custard."),
            (
                "SPRING MENU card when the pumpkin soup is described",
                "spring menu title while talking about the apple crumble dessert",
                "CHEFS TABLE heading during the pumpkin and ginger soup",
                "chefs table on screen while she mentions crumble and custard",
            ),
        ),
        Grid(
            ("BRIDGE CLOSED", "ROAD WORKS"),
            (
                "Drivers should follow the yellow diversion signs.",
                "Expect delays of about twenty minutes this evening.",
            ),
            (
                "BRIDGE CLOSED sign while drivers are told to follow the diversion",
                "bridge closed caption with a warning about twenty minute delays",
                "ROAD WORKS banner when she mentions the yellow detour signs",
                "road works title during the evening delay announcement",
            ),
        ),
        Grid(
            ("QUARTERLY RESULTS", "TEAM UPDATE"),
            ("Sales in the northern region doubled since March.", "Three new engineers joined the company this week."),
            (
                "QUARTERLY RESULTS slide where northern sales doubled",
                "quarterly results heading while new engineers are welcomed",
                "TEAM UPDATE screen reporting that sales in the north doubled",
                "TEAM UPDATE while announcing three new engineers",
            ),
        ),
    ),
    sound_queries={
        "dial": ("telephone dial tone", "the hum you hear when you lift an old phone receiver"),
        "beeps": ("electronic beeping", "repeated short bleeps like a kitchen timer"),
        "white": ("static hiss", "white noise like an untuned television"),
        "pink": ("pink noise", "a steady rushing sound like a waterfall"),
        "piano": ("piano music", "someone playing chords on a keyboard"),
        "sine": ("high pitched sine tone", "a continuous electronic whistle"),
        "crunch": ("someone crunching food", "loud chewing noises"),
    },
    offtopic=(
        "a dog catching a frisbee",
        "a volcano erupting lava",
        "instructions for knitting a scarf",
        "a helicopter rescue at sea",
        "the price of bitcoin",
        "wedding vows in a church",
        "solving a rubik's cube",
        "elephants at a watering hole",
        "a skateboard trick in a parking lot",
        "surfing a big wave",
        "someone playing the bagpipes",
        "a cat knocking a glass off a table",
        "results of the presidential election",
        "rolling sushi with seaweed",
        "a hot air balloon over the desert",
        "a magician doing card tricks",
        "a chess grandmaster resigns",
        "changing a flat bicycle tyre",
        "a snowboarder on a half pipe",
        "the history of the roman empire",
        "a falcon diving for prey",
        "a toddler taking first steps",
        "a thunderstorm over the ocean",
        "repairing a leaking kitchen tap",
        "a violin solo in a concert hall",
        "how vaccines train the immune system",
        "a fox hunting mice in the snow",
        "assembling flat pack furniture",
        "a drone flying over a vineyard",
        "the rules of american football",
        "a barber giving a haircut",
        "tips for a job interview",
        "a monkey stealing a tourist's hat",
        "the northern lights in norway",
        "pouring concrete for a driveway",
        "a yoga class on the beach",
        "a spider spinning its web",
        "a lawyer's closing argument in court",
        "mining cryptocurrency with graphics cards",
        "a lighthouse in a storm",
    ),
    world=TEST_WORLD,
)

CALIBRATION = Split(
    targets=(
        Target(
            "The coach to Oxford leaves from stand thirty six at nine.",
            "Oxford stand 36",
            "where the morning coach service leaves from",
        ),
        Target(
            "Mix the dough for ten minutes, then let it rest.",
            "dough 10 minutes rest",
            "work the bread mixture by hand before leaving it",
        ),
        Target(
            "The stock market fell sharply after the announcement.",
            "stock market fell",
            "share prices dropped quickly following the news",
        ),
        Target(
            "The telescope on the hill was built in eighteen eighty.",
            "telescope built 1880",
            "an old observatory instrument on a hilltop",
        ),
        Target(
            "Heavy fog will close the airport on Sunday.",
            "fog airport Sunday",
            "poor visibility will stop flights at the weekend",
        ),
        Target("Your room number is five one two on the fifth floor.", "room 512", "where the hotel guest will sleep"),
        Target(
            "She served an ace to win the third set.", "ace third set", "an unreturnable serve decided the tennis game"
        ),
        Target(
            "The museum in Norway shows old viking ships.",
            "museum viking ships",
            "ancient Norse boats on display in Scandinavia",
        ),
        Target(
            "The school bus always stops at stand number sixty three.",
            "school bus stand 63",
            "where the pupils' coach picks children up",
        ),
        Target(
            "Prune the apple trees before the buds open.",
            "prune apple trees",
            "cutting back fruit tree branches in early spring",
        ),
        Target(
            "We bought fresh cherries at the farmers market.",
            "fresh cherries market",
            "buying fruit from local growers",
        ),
        Target(
            "The trumpet lessons start again in September.",
            "trumpet lessons September",
            "brass instrument classes resume after the summer",
        ),
        Target(
            "Room two one five has a view of the lake.",
            "room 215 view of the lake",
            "which hotel room overlooks the water",
        ),
        Target(
            "The carpenter used a plane to smooth the door.",
            "carpenter plane door",
            "a woodworker shaved the door flat",
        ),
        Target(
            "The plane landed safely on the runway.", "plane landed runway", "the aircraft touched down without trouble"
        ),
        Target("Breathe in slowly and hold for four counts.", "breathe in hold 4 counts", "a calm breathing exercise"),
        Target(
            "Sand the oak table with fine paper before you varnish it.",
            "sand the oak table varnish",
            "smoothing wooden furniture before applying a finish",
        ),
        Target("Oil the bicycle chain once a month.", "oil the bicycle chain", "how often to lubricate a bike"),
        Target("The mattress has a broken spring inside.", "broken spring mattress", "a snapped coil in the bed"),
        Target(
            "The cherry trees blossom every spring.",
            "cherry trees blossom spring",
            "fruit trees flower in the warm season",
        ),
        Target(
            "Drink at least eight glasses of water every day.",
            "eight glasses of water",
            "how much to drink daily to stay hydrated",
        ),
        Target(
            "Mix vinegar and baking soda to make it fizz.",
            "vinegar baking soda fizz",
            "a bubbling kitchen chemistry experiment",
        ),
        Target(
            "The post office on King Street closes at five.",
            "post office King Street",
            "when the mail counter shuts in the afternoon",
        ),
        Target(
            "The choir rehearses on Wednesday evenings in the chapel.",
            "choir Wednesday chapel",
            "when the singers practise each week",
        ),
    ),
    fillers=(
        "Buses to the city centre leave every ten minutes.",
        "Good evening and welcome to the show.",
        "The stock in the warehouse is running low.",
        "The tennis club is looking for new members.",
        "Our next guest is a famous baker.",
        "Tomorrow will be bright and sunny.",
        "The hardware store on King Street is having a sale.",
        "The hotel lobby is on the ground floor.",
        "Take a deep breath and relax your shoulders.",
        "Spring water is sold in glass bottles.",
        "This is the final part of the tour.",
        "Let us move on to the next topic.",
        "That is all for today, goodbye.",
        "The lake was quiet early this morning.",
        "Thank you all for joining us tonight.",
        "Now for a look at the sports news.",
        "We will be right back after this.",
        "Please keep your tickets ready for inspection.",
    ),
    large=(
        "BUS TERMINAL",
        "SUMMER CONCERT",
        "ROBOT CONTEST",
        "FLOWER SHOW",
        "OPEN HOUSE",
        "CHARITY RUN",
        "POETRY EVENING",
        "BIKE WEEK",
        "STORM ALERT",
        "PHOTO CONTEST",
        "STREET FOOD FAIR",
        "CLOSING DOWN SALE",
    ),
    small=(
        "schedule subject to change",
        "follow us for daily news",
        "image from the national library",
        "stand 63 temporarily closed",
        "brought to you by Riverside Dairy",
        "filmed on location in Dublin",
        "offer ends on Sunday",
        "translated by Anna Berg",
        "archive footage",
        "next show on Thursday",
        "doors open at seven",
        "audio described version",
        "all prices in euros",
        "produced by the student union",
        "more details on our website",
    ),
    grids=(
        Grid(
            ("HARBOUR WATCH", "COAST GUARD"),
            ("A fishing boat lost power near the lighthouse.", "The tide will turn shortly after midnight."),
            (
                "HARBOUR WATCH title while a fishing boat loses power",
                "harbour watch on screen with the tide turning after midnight",
                "COAST GUARD banner when the boat near the lighthouse breaks down",
                "coast guard caption while she says when the tide turns",
            ),
        ),
        Grid(
            ("LUNCH SPECIALS", "KIDS CORNER"),
            ("Today we are serving grilled salmon with lemon.", "Every plate comes with a free glass of juice."),
            (
                "LUNCH SPECIALS when grilled salmon is offered",
                "lunch specials sign while mentioning free juice",
                "KIDS CORNER heading during the salmon with lemon",
                "kids corner title and a free glass of juice with every plate",
            ),
        ),
        Grid(
            ("PLAYGROUND CLOSED", "NEW TIMETABLE"),
            ("Please use the entrance on the west side.", "Repairs will finish at the end of the month."),
            (
                "PLAYGROUND CLOSED notice asking people to use the west entrance",
                "playground closed sign while saying repairs end this month",
                "NEW TIMETABLE slide directing visitors to the west side entrance",
                "new timetable on screen when repairs finishing at month end are mentioned",
            ),
        ),
        Grid(
            ("ANNUAL REVIEW", "BOARD MEETING"),
            ("Profits from the online shop went up again.", "The chairman announced that she will retire."),
            (
                "ANNUAL REVIEW slide about online shop profits rising",
                "annual review title while the chairman's retirement is announced",
                "BOARD MEETING screen reporting higher web store profits",
                "board meeting heading when the chairman says she will retire",
            ),
        ),
    ),
    sound_queries={
        "dial": ("dial tone", "the tone a landline makes before you dial"),
        "beeps": ("beep beep sound", "an alarm clock beeping"),
        "white": ("white noise", "radio static between stations"),
        "pink": ("pink noise sound", "soft rushing noise like wind"),
        "piano": ("music playing", "piano chords"),
        "sine": ("sine wave test tone", "a long high pitched beep"),
        "crunch": ("crunching sound", "someone eating crisps"),
    },
    offtopic=(
        "a horse jumping a fence",
        "an astronaut floating in space",
        "how to fold a paper airplane",
        "a penguin sliding on ice",
        "a submarine deep underwater",
        "fireworks over a castle",
        "a goldfish swimming in a bowl",
        "a marching band parade",
        "a Formula One pit stop",
        "lightning striking a tree",
        "a kangaroo hopping",
        "building a sandcastle",
        "a bride throwing her bouquet",
        "a person juggling fire",
        "a zebra crossing a river",
        "a parrot that can talk",
        "a beekeeper opening a hive",
        "learning to ride a unicycle",
        "a tornado crossing farmland",
        "the life cycle of a butterfly",
        "a street artist painting a mural",
        "an ice hockey fight",
        "tuning a guitar",
        "a whale breaching near a boat",
        "a glassblower shaping a vase",
        "the causes of the first world war",
        "a robot vacuum cleaning a room",
        "a camel caravan in the sahara",
        "carving a pumpkin for halloween",
        "a referee showing a red card",
        "a potter shaping clay on a wheel",
        "a scuba diver with a sea turtle",
        "a hedgehog crossing a garden",
        "a blacksmith forging a sword",
        "knitting socks for winter",
        "an owl hunting at night",
        "a pilot landing in crosswind",
        "decorating a wedding cake",
        "a squirrel burying nuts",
        "the plot of a famous opera",
    ),
    world=CALIBRATION_WORLD,
)

SPLITS: dict[str, tuple[str, Split]] = {"test": ("test", TEST), "calibration": ("cal", CALIBRATION)}
"""Split name -> (video file prefix, content)."""


@dataclass(frozen=True)
class OverlaySlot:
    """`L` (large title) or `C` (small caption) at `position`, for the whole scene or around item `during`."""

    kind: str
    position: str
    during: int | None


@dataclass(frozen=True)
class SceneSlot:
    """One scene of `LAYOUT` or `WORLD_LAYOUT`: a `BACKGROUNDS` key, item tokens in the order heard, overlays,
    and the language of the video's content (`en`, a `LANGUAGES` code or `SCREEN_LANGUAGE`)."""

    background: str
    items: tuple[str, ...]
    overlays: tuple[OverlaySlot, ...]
    language: str = "en"


@dataclass(frozen=True)
class Item:
    """One thing heard in a scene: a sentence (`target`, `filler` or `grid`) or a sound (`sound`, text = kind).

    An English target has `target`; a target in another language has `said`, and `language` its code."""

    role: str
    text: str
    target: Target | None = None
    grid: tuple[int, int, int] | None = None
    said: Said | None = None
    language: str = "en"


@dataclass(frozen=True)
class Voice:
    """A synthesised sentence: its WAV file, length, and where speech starts and ends inside it (seconds)."""

    path: Path
    seconds: float
    onset: float
    offset: float


POSITIONS = {
    "top": ("(w-text_w)/2", "{m}"),
    "bottom": ("(w-text_w)/2", "h-text_h-{m}"),
    "centre": ("(w-text_w)/2", "(h-text_h)/2"),
    "top-left": ("{m}", "{m}"),
    "top-right": ("w-text_w-{m}", "{m}"),
    "bottom-left": ("{m}", "h-text_h-{m}"),
    "bottom-right": ("w-text_w-{m}", "h-text_h-{m}"),
}


def parse_overlay(spec: str) -> OverlaySlot:
    """One overlay of `LAYOUT`, e.g. `C bottom-right@0`."""
    kind, where = spec.split()
    position, _, during = where.partition("@")
    if kind not in ("L", "C") or position not in POSITIONS:
        raise ValueError(f"bad overlay {spec!r} in LAYOUT")
    return OverlaySlot(kind, position, int(during) if during else None)


def parse_scene(spec: str, language: str = "en") -> SceneSlot:
    """One scene of `LAYOUT`, e.g. `cellauto: T dial / C bottom-right@0`, or of `WORLD_LAYOUT` (`language`)."""
    background, _, rest = spec.partition(":")
    items, _, overlays = rest.partition("/")
    if background.strip() not in BACKGROUNDS:
        raise ValueError(f"unknown background {background!r} in LAYOUT")
    parsed = tuple(parse_overlay(part) for part in overlays.split(",") if part.strip())
    return SceneSlot(background.strip(), tuple(items.split()), parsed, language)


def parse_layout() -> list[list[SceneSlot]]:
    """Every video of `LAYOUT` as its list of scenes."""
    return [[parse_scene(scene) for scene in video.split("|")] for video in LAYOUT]


def parse_world_layout() -> list[tuple[str, list[SceneSlot]]]:
    """Every video of `WORLD_LAYOUT` as (language, its list of scenes)."""
    known = {*LANGUAGES, SCREEN_LANGUAGE}
    if unknown := {language for language, _ in WORLD_LAYOUT} - known:
        raise ValueError(f"WORLD_LAYOUT has videos in unknown languages {sorted(unknown)}")
    return [
        (language, [parse_scene(scene, language) for scene in video.split("|")]) for language, video in WORLD_LAYOUT
    ]


def world_video_names(prefix: str, language: str) -> list[str]:
    """The file names of the `WORLD_LAYOUT` videos in `language` (numbered after `LAYOUT`'s)."""
    first = len(LAYOUT) + 1
    return [f"{prefix}_{n:02d}.mp4" for n, (code, _) in enumerate(WORLD_LAYOUT, first) if code == language]


def voiced_bounds(path: Path) -> tuple[float, float, float]:
    """A 16-bit mono WAV file's length and the first and last moments louder than `VOICE_LEVEL` (seconds)."""
    with wave.open(str(path), "rb") as audio:
        rate, frames = audio.getframerate(), audio.readframes(audio.getnframes())
    samples = array.array("h", frames)
    loud = [i for i, sample in enumerate(samples) if abs(sample) > VOICE_LEVEL]
    if not loud:
        raise RuntimeError(f"the speech synthesiser wrote silence to {path}")
    return len(samples) / rate, loud[0] / rate, (loud[-1] + 1) / rate


def synthesise(texts: Sequence[str], speaker: Callable[[str, Path], Path], folder: Path, stem: str) -> dict[str, Voice]:
    """Speak every distinct sentence once with `speaker(text, wav_path)` and measure it."""
    voices = {}
    for n, text in enumerate(dict.fromkeys(texts)):
        path = speaker(text, folder / f"{stem}{n:03d}.wav")
        seconds, onset, offset = voiced_bounds(path)
        voices[text] = Voice(path, seconds, round(onset, 3), round(offset, 3))
    return voices


class VoiceUnavailable(RuntimeError):
    """festival could not speak with a language's voice (the voice is not installed, or it failed)."""


def unaccented(text: str) -> str:
    """`text` without its accents (combining marks), e.g. "città" -> "citta"."""
    return "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))


def festival_speak(language: Language, text2wave: str, text: str, path: Path) -> Path:
    """Write `text` spoken by festival's voice for `language` to the WAV file `path`; raises VoiceUnavailable."""
    source = path.with_suffix(".txt")
    source.write_bytes((unaccented(text) if language.unaccented else text).encode(language.encoding))
    command = [text2wave, "-eval", f"({language.voice})", str(source), "-o", str(path)]
    run = subprocess.run(command, capture_output=True, text=True, errors="replace")
    if run.returncode != 0 or not path.is_file() or path.stat().st_size <= 44:
        reason = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "no sound written"
        raise VoiceUnavailable(f"festival cannot speak {language.name} with {language.voice} ({reason})")
    return path


def synthesise_world(world: World, text2wave: str | None, folder: Path) -> tuple[dict[str, Voice], dict[str, str]]:
    """Speak every non-English sentence of `world` with festival: (voices by text, reason by language code
    for each language that could not be spoken)."""
    voices: dict[str, Voice] = {}
    missing: dict[str, str] = {}
    for code, language in LANGUAGES.items():
        if text2wave is None:
            missing[code] = "festival is not installed (no text2wave)"
            continue
        talk = world.talk[code]
        texts = [said.text for said in talk.targets] + list(talk.fillers)
        try:
            voices |= synthesise(texts, functools.partial(festival_speak, language, text2wave), folder, code)
        except VoiceUnavailable as exc:
            missing[code] = f"{exc}; install the Debian package {language.package}"
    return voices, missing


def spoken_texts(split: Split) -> list[str]:
    """Every English sentence the split speaks (grid sentences are said twice but listed once)."""
    grid_sentences = [sentence for grid in split.grids for sentence in grid.sentences]
    return [target.text for target in split.targets] + list(split.fillers) + grid_sentences


def footage_path(background: Background, shared: Path | None) -> Path | None:
    """The footage file behind `background`, if it has one and the shared folder holds it."""
    if not background.footage or shared is None:
        return None
    path = shared / "media" / background.footage
    return path if path.is_file() else None


def crunch_path(shared: Path | None) -> Path | None:
    """The shared crunching recording, if present."""
    path = shared / "media" / CRUNCH_FILE if shared is not None else None
    return path if path is not None and path.is_file() else None


def clip(window: tuple[float, float], bounds: tuple[float, float]) -> tuple[float, float]:
    """`window` cut down to lie within `bounds`, rounded to milliseconds."""
    return round(max(window[0], bounds[0]), 3), round(min(window[1], bounds[1]), 3)


def fitted(size: int, text: str) -> int:
    """`size`, or less if the text would not fit the frame's width (DejaVu Sans Bold is ~0.72 em a letter,
    a CJK font 1 em a wide character)."""
    wide = sum(unicodedata.east_asian_width(char) in "WF" for char in text)
    return min(size, int((WIDTH - 40) / (0.72 * (len(text) - wide) + wide)))


def ceil_step(seconds: float) -> float:
    """`seconds` rounded up to a whole number of `SCENE_STEP`s."""
    return round(math.ceil(round(seconds / SCENE_STEP, 6)) * SCENE_STEP, 3)


Record = dict[str, Any]


@dataclass
class VideoPlan:
    """One video's ground truth: its scenes, sentences, drawn texts and sound events (seconds)."""

    name: str
    duration: float = 0.0
    scenes: list[Record] = field(default_factory=list)
    sentences: list[Record] = field(default_factory=list)
    texts: list[Record] = field(default_factory=list)
    sounds: list[Record] = field(default_factory=list)

    def record(self) -> Record:
        """The library.json entry (the render hash is added beside it)."""
        keys = ("duration", "scenes", "sentences", "texts", "sounds")
        return {key: getattr(self, key) for key in keys}


def content(split: Split, language: str) -> dict[str, Sequence[object]]:
    """What the layout tokens of a `language` video take from the split, by token."""
    if language == "en":
        return {"T": split.targets, "F": split.fillers, "L": split.large, "C": split.small}
    if language == SCREEN_LANGUAGE:
        return {"L": split.world.large_signs, "C": split.world.small_signs}
    talk = split.world.talk[language]
    return {"T": talk.targets, "F": talk.fillers}


def taken_key(key: str, language: str) -> str:
    """The `Planner.taken` counter of token `key` in a `language` video."""
    return key if language == "en" else f"{language}:{key}"


@dataclass
class Planner:
    """Lays out every video of a split in time and derives its ground truth and queries.

    `cjk_font` is the file name of the font that draws Chinese (recorded with each Chinese text)."""

    split: Split
    voices: dict[str, Voice]
    shared: Path | None
    cjk_font: str = ""
    queries: list[Record] = field(default_factory=list)
    taken: Counter[str] = field(default_factory=Counter)
    moments: set[tuple[int, int, int]] = field(default_factory=set)

    def take(self, key: str, language: str = "en") -> int:
        """The index of the next unused target (`T`), filler (`F`), large title (`L`) or caption (`C`)
        of a `language` video."""
        available = content(self.split, language)
        if key not in available:
            raise ValueError(f"a {language} video of the layout cannot have items of kind {key}")
        counter = taken_key(key, language)
        if self.taken[counter] >= len(available[key]):
            raise ValueError(f"the layout wants more than the split's {len(available[key])} items of kind {counter}")
        self.taken[counter] += 1
        return self.taken[counter] - 1

    def resolve(self, token: str, language: str = "en") -> Item:
        """The item that a layout token stands for, taking the next unused piece of content."""
        if language != "en":
            return self.resolve_world(token, language)
        if token == "T":
            target = self.split.targets[self.take("T")]
            return Item("target", target.text, target=target)
        if token == "F":
            return Item("filler", self.split.fillers[self.take("F")])
        if token in SOUNDS:
            return Item("sound", token)
        match = re.fullmatch(r"M(\d)([01])([01])", token)
        if match is None:
            raise ValueError(f"unknown item {token!r} in LAYOUT")
        g, i, j = (int(part) for part in match.groups())
        self.moments.add((g, i, j))
        return Item("grid", self.split.grids[g].sentences[j], grid=(g, i, j))

    def resolve_world(self, token: str, language: str) -> Item:
        """The item that a `WORLD_LAYOUT` token stands for: the language's next target or filler sentence."""
        if language not in LANGUAGES or token not in ("T", "F"):
            raise ValueError(f"unknown item {token!r} in a {language} video of WORLD_LAYOUT")
        talk = self.split.world.talk[language]
        if token == "T":
            said = talk.targets[self.take("T", language)]
            return Item("target", said.text, said=said, language=language)
        return Item("filler", talk.fillers[self.take("F", language)], language=language)

    def seconds(self, item: Item) -> float:
        """How long an item lasts: a sound kind's fixed length or the sentence's whole WAV file."""
        return SOUNDS[item.text].seconds if item.role == "sound" else self.voices[item.text].seconds

    def query(self, kind: str, text: str, video: str | None, window: tuple[float, float], **extra: object) -> None:
        """Add one queries.jsonl line."""
        self.queries.append(
            {"query": text, "video": video, "start": window[0], "end": window[1], "kind": kind, **extra}
        )

    def plan_video(self, name: str, scenes: Sequence[SceneSlot]) -> VideoPlan:
        """Where everything in one video is, in seconds."""
        plan = VideoPlan(name)
        for slot in scenes:
            plan.duration = self.plan_scene(slot, plan.duration, plan)
        return plan

    def plan_scene(self, slot: SceneSlot, start: float, plan: VideoPlan) -> float:
        """Place one scene's items one after another from `start`; the scene's end."""
        items = [self.resolve(token, slot.language) for token in slot.items]
        spans, cursor = [], start + LEAD
        for item in items:
            spans.append((round(cursor, 3), round(cursor + self.seconds(item), 3)))
            cursor = spans[-1][1] + GAP
        end = round(start + ceil_step(max(MIN_SCENE, cursor - GAP + TAIL - start)), 3)
        footage = footage_path(BACKGROUNDS[slot.background], self.shared)
        source = f"footage:{BACKGROUNDS[slot.background].footage}" if footage else "lavfi"
        plan.scenes.append({"start": start, "end": end, "background": slot.background, "source": source})
        for item, span in zip(items, spans):
            self.place_item(item, span, (start, end), plan)
        for overlay in slot.overlays:
            window = (start, end) if overlay.during is None else spans[overlay.during]
            self.place_overlay(overlay, window, (start, end), plan, slot.language)
        return end

    def place_item(self, item: Item, span: tuple[float, float], scene: tuple[float, float], plan: VideoPlan) -> None:
        """Record a sentence (and its queries, or its grid title) or a sound placed at `span`."""
        if item.role == "sound":
            self.place_sound(item.text, span, plan)
            return
        voice = self.voices[item.text]
        window = (round(span[0] + voice.onset, 3), round(span[0] + voice.offset, 3))
        sentence = {"text": item.text, "start": window[0], "end": window[1], "placed": span[0], "role": item.role}
        if item.language != "en":
            sentence["language"] = item.language
        plan.sentences.append(sentence)
        if item.target is not None:
            self.query("speech_keyword", item.target.keyword, plan.name, window, source=item.text)
            self.query("speech_paraphrase", item.target.paraphrase, plan.name, window, source=item.text)
            self.translations(item.target, window, plan)
        if item.said is not None:
            said, code = item.said, item.language
            self.query(f"same:{code}", said.keyword, plan.name, window, style="keyword", source=item.text)
            self.query(f"same:{code}", said.paraphrase, plan.name, window, style="paraphrase", source=item.text)
            self.query(f"cross:en-{code}", said.english, plan.name, window, style=said.english_style, source=item.text)
        if item.grid is not None:
            self.place_grid_title(item.grid, span, window, scene, plan)

    def translations(self, target: Target, window: tuple[float, float], plan: VideoPlan) -> None:
        """The queries in other languages (`cross:<lang>-en`) for an English target said at `window`."""
        for translated in self.split.world.translated:
            if translated.target == target.keyword:
                for code in TRANSLATED:
                    text = translated.query(code)
                    self.query(f"cross:{code}-en", text, plan.name, window, style=translated.style, source=target.text)

    def place_sound(self, kind: str, span: tuple[float, float], plan: VideoPlan) -> None:
        """A sound event, unless it needs the shared recording and that is missing (its time stays silent)."""
        if not SOUNDS[kind].source and crunch_path(self.shared) is None:
            return
        plan.sounds.append({"kind": kind, "label": SOUNDS[kind].label, "start": span[0], "end": span[1]})
        for text in self.split.sound_queries[kind]:
            self.query("audio", text, plan.name, span, source=SOUNDS[kind].label)

    def place_grid_title(
        self,
        grid: tuple[int, int, int],
        span: tuple[float, float],
        said: tuple[float, float],
        scene: tuple[float, float],
        plan: VideoPlan,
    ) -> None:
        """Show grid title i around its sentence j; the cross-modal answer is where both hold."""
        g, i, j = grid
        title = self.split.grids[g].titles[i]
        shown = clip((span[0] - CAPTION_PAD, span[1] + CAPTION_PAD), scene)
        colour, box = LARGE_STYLES[g % len(LARGE_STYLES)]
        text = {
            "text": title,
            "size": fitted(40, title),
            "note": "large",
            "position": GRID_POSITIONS[g],
            "start": shown[0],
        }
        text.update({"end": shown[1], "colour": colour, "box": box, "role": "grid"})
        plan.texts.append(text)
        both = (max(shown[0], said[0]), min(shown[1], said[1]))
        sentence = self.split.grids[g].sentences[j]
        self.query("cross_modal", self.split.grids[g].queries[2 * i + j], plan.name, both, title=title, source=sentence)

    def place_overlay(
        self,
        slot: OverlaySlot,
        window: tuple[float, float],
        scene: tuple[float, float],
        plan: VideoPlan,
        language: str = "en",
    ) -> None:
        """Draw the next large title or small caption over `window` (padded when tied to one item); in a
        Chinese video, the next Chinese sign in the CJK font."""
        n = self.take(slot.kind, language)
        large = slot.kind == "L"
        chinese = language == SCREEN_LANGUAGE
        sign: Sign | None = (
            (self.split.world.large_signs if large else self.split.world.small_signs)[n] if chinese else None
        )
        words = sign.text if sign is not None else (self.split.large if large else self.split.small)[n]
        sizes, styles = (LARGE_SIZES, LARGE_STYLES) if large else (SMALL_SIZES, SMALL_STYLES)
        if slot.during is not None:
            window = clip((window[0] - CAPTION_PAD, window[1] + CAPTION_PAD), scene)
        note = "large" if large else "small"
        colour, box = styles[n % len(styles)]
        text = {"text": words, "size": fitted(sizes[n % len(sizes)], words), "note": note, "position": slot.position}
        role = "screen" if chinese else "ocr"
        text.update({"start": window[0], "end": window[1], "colour": colour, "box": box, "role": role})
        if sign is None:
            plan.texts.append(text)
            self.query("ocr", words.lower(), plan.name, window, note=note, position=slot.position)
            return
        plan.texts.append(text | {"language": language, "font": self.cjk_font})
        where = {"note": note, "position": slot.position, "source": words}
        self.query(f"screen:{language}", sign.query, plan.name, window, style=sign.style, **where)
        self.query(f"cross:en-{language}", sign.english, plan.name, window, **where)


@dataclass
class Inputs:
    """ffmpeg's input options, collected while the filter graph that refers to them by number is built."""

    args: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, *options: str) -> int:
        """Append input options (ending with `-i FILE`); the input's number."""
        self.args += options
        self.count += 1
        return self.count - 1


@dataclass(frozen=True)
class Tools:
    """The ffmpeg binary, the flite binary, the font file for drawn text, and what content beyond English
    needs: festival's text2wave and a font that draws Chinese (None when missing)."""

    ffmpeg: str
    flite: str
    font: Path
    text2wave: str | None = None
    cjk_font: Path | None = None


def drawtext(text: Record, scene_start: float, font: Path) -> str:
    """A drawtext filter that shows one title or caption during its window (scene-relative time)."""
    large = text["note"] == "large"
    margin = 24 if large else 14
    x, y = (part.format(m=margin) for part in POSITIONS[str(text["position"])])
    start, end = (round(float(text[key]) - scene_start, 3) for key in ("start", "end"))
    return (
        f"drawtext=text={escape(str(text['text']))}:expansion=none:fontfile={escape(str(font))}"
        f":fontsize={text['size']}:fontcolor={text['colour']}:box=1:boxcolor={text['box']}"
        f":boxborderw={8 if large else 5}:x={x}:y={y}:enable='between(t,{start},{end})'"
    )


def scene_chain(scene: Record, texts: Sequence[Record], inputs: Inputs, tools: Tools, shared: Path | None) -> str:
    """The filter chain that renders one scene: its background, then its titles and captions."""
    background = BACKGROUNDS[str(scene["background"])]
    start, seconds = float(scene["start"]), round(float(scene["end"]) - float(scene["start"]), 3)
    footage = footage_path(background, shared) if scene["source"] != "lavfi" else None
    if footage is not None:
        play = min(seconds, background.length)
        k = inputs.add("-ss", str(background.offset), "-t", str(play), "-i", str(footage))
        crop = f"crop={background.crop}," if background.crop else ""
        head = [f"[{k}:v]{crop}scale={WIDTH}:{HEIGHT}", f"fps={FPS}", f"tpad=stop_mode=clone:stop_duration={seconds}"]
    else:
        joiner = ":" if "=" in background.source else "="
        head = [f"{background.source}{joiner}s={background.size}:r={FPS}"]
    filters = [*head, f"trim=duration={seconds}", "setpts=PTS-STARTPTS"]
    filters += [f"scale={WIDTH}:{HEIGHT}:flags=neighbor:out_range=tv", "setsar=1", "format=yuv420p"]
    filters += [background.extra] if background.extra and footage is None else []
    inside = [text for text in texts if start <= float(text["start"]) < start + seconds]
    return ",".join(filters + [drawtext(text, start, font_of(text, tools)) for text in inside])


def font_of(text: Record, tools: Tools) -> Path:
    """The font file that draws `text`: the CJK font for Chinese texts, else the bold Latin one."""
    if text.get("font"):
        if tools.cjk_font is None or tools.cjk_font.name != text["font"]:
            raise RuntimeError(f"the plan draws {text['text']!r} with {text['font']}, which was not found")
        return tools.cjk_font
    return tools.font


AUDIO_FORMAT = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=mono"


def delay(seconds: float) -> str:
    """An adelay filter that starts a mono stream `seconds` in, to the sample."""
    return f"adelay={round(seconds * SAMPLE_RATE)}S:all=1"


def sound_chain(sound: Record, inputs: Inputs, shared: Path | None) -> str:
    """One sound event, faded in and out, delayed to its start."""
    kind = SOUNDS[str(sound["kind"])]
    if kind.source:
        head = f"{kind.source}:sample_rate={SAMPLE_RATE}:duration={kind.seconds}"
    else:
        k = inputs.add("-ss", "0", "-t", str(kind.seconds), "-i", str(crunch_path(shared)))
        head = f"[{k}:a]volume={CRUNCH_GAIN_DB}dB"
    fades = f"afade=t=in:d=0.03,afade=t=out:st={kind.seconds - 0.05}:d=0.05"
    return f"{head},{AUDIO_FORMAT},{fades},{delay(float(sound['start']))}"


def audio_chains(plan: VideoPlan, voices: dict[str, Voice], inputs: Inputs, shared: Path | None) -> list[str]:
    """Filter chains that mix every sentence and sound at its place over silence as long as the video."""
    chains = [f"anullsrc=channel_layout=mono:sample_rate={SAMPLE_RATE}:duration={plan.duration}[base]"]
    for n, sentence in enumerate(plan.sentences):
        k = inputs.add("-i", str(voices[str(sentence["text"])].path))
        chains.append(f"[{k}:a]{AUDIO_FORMAT},{delay(float(sentence['placed']))}[s{n}]")
    chains += [f"{sound_chain(sound, inputs, shared)}[e{n}]" for n, sound in enumerate(plan.sounds)]
    labels = "[base]" + "".join(f"[s{n}]" for n in range(len(plan.sentences)))
    labels += "".join(f"[e{n}]" for n in range(len(plan.sounds)))
    count = 1 + len(plan.sentences) + len(plan.sounds)
    return [*chains, f"{labels}amix=inputs={count}:duration=first:normalize=0[a]"]


def ffmpeg_args(plan: VideoPlan, voices: dict[str, Voice], tools: Tools, shared: Path | None, out: Path) -> list[str]:
    """The ffmpeg command line that renders `plan` to `out`."""
    inputs = Inputs()
    graph = [f"{scene_chain(s, plan.texts, inputs, tools, shared)}[v{n}]" for n, s in enumerate(plan.scenes)]
    pads = "".join(f"[v{n}]" for n in range(len(plan.scenes)))
    graph.append(f"{pads}concat=n={len(plan.scenes)}:v=1:a=0[v]")
    graph += audio_chains(plan, voices, inputs, shared)
    keyframes = ",".join(str(scene["start"]) for scene in plan.scenes)
    video = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p", "-r", str(FPS)]
    video += ["-force_key_frames", keyframes]
    audio = ["-c:a", "aac", "-b:a", "64k", "-ac", "1", "-ar", str(SAMPLE_RATE)]
    head = [tools.ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-nostdin", *inputs.args]
    maps = ["-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]", "-t", str(plan.duration)]
    tail = ["-movflags", "+faststart", "-map_metadata", "-1", "-f", "mp4", str(out)]
    return [*head, *maps, *video, *audio, *tail]


def render(plan: VideoPlan, voices: dict[str, Voice], tools: Tools, shared: Path | None, out: Path) -> None:
    """Render one video, written beside `out` under a temporary name and then moved into place."""
    partial = out.with_name(f".{out.name}.tmp")
    try:
        run = subprocess.run(ffmpeg_args(plan, voices, tools, shared, partial), capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"ffmpeg failed on {out.name}: {run.stderr.strip()[-2000:]}")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def render_hash(record: Record, tools: Tools) -> str:
    """A fingerprint of everything a video's pixels and samples depend on."""
    payload = json.dumps([RENDER_VERSION, tools.font.name, record], sort_keys=True)
    return hashlib.sha1(payload.encode()).hexdigest()[:16]


def words(text: str) -> str:
    """`text` lower-cased, punctuation dropped, single-spaced, with spaces around it (for whole-word search)."""
    return " " + " ".join(re.findall(r"[a-z0-9']+", text.lower())) + " "


def split_strings(split: Split) -> dict[str, set[str]]:
    """A split's sentences, on-screen texts and queries, normalised."""
    queries = [q for t in split.targets for q in (t.keyword, t.paraphrase)] + list(split.offtopic)
    queries += [q for grid in split.grids for q in grid.queries]
    queries += [q for phrases in split.sound_queries.values() for q in phrases]
    titles = list(split.large) + list(split.small) + [title for grid in split.grids for title in grid.titles]
    return {
        "sentences": {words(text) for text in spoken_texts(split)},
        "texts": {words(text) for text in titles},
        "queries": {words(text) for text in queries},
    }


def check_splits() -> None:
    """The splits must not share a sentence, text or query; no on-screen text may be spoken, and vice versa;
    the content beyond English passes `check_world`."""
    test, calibration = (split_strings(split) for _, split in SPLITS.values())
    for key in test:
        if shared := test[key] & calibration[key]:
            raise ValueError(f"both splits use the {key} {sorted(shared)}")
    for _, split in SPLITS.values():
        strings = split_strings(split)
        for text in strings["texts"]:
            if clash := [sentence for sentence in strings["sentences"] if text in sentence]:
                raise ValueError(f"on-screen text {text.strip()!r} is also spoken: {clash}")
        for target in split.targets:
            if clash := [text for text in strings["texts"] if words(target.keyword) in text]:
                raise ValueError(f"keyword query {target.keyword!r} is also on screen: {clash}")
    test_world, calibration_world = (world_strings(split.world) for _, split in SPLITS.values())
    for key in test_world:
        if both := test_world[key] & calibration_world[key]:
            raise ValueError(f"both splits use the {key} {sorted(both)}")
    for name, (_, split) in SPLITS.items():
        check_world(name, split)


def folded(text: str) -> tuple[str, ...]:
    """The words of `text` in any script, case-folded, without punctuation (apostrophes split words)."""
    return tuple(re.findall(r"\w+", text.casefold()))


def stem(word: str) -> str:
    """A crude stem that lets inflected forms meet ("Москва", "Москву"; "парк", "парке"): the first four
    letters, one less than the word for shorter ones."""
    return word[:4] if len(word) > 4 else word[: max(2, len(word) - 1)]


def unmatched(query: str, text: str) -> list[str]:
    """The words of `query` whose stem begins no word of `text` (numbers aside: spoken as words, typed as digits)."""
    have = folded(text)
    return [word for word in folded(query) if not word.isdigit() and not any(w.startswith(stem(word)) for w in have)]


FUNCTION_WORDS = frozenset(
    [
        "через",
        "после",
        "перед",
        "который",
        "которая",
        "которые",
        "между",
        "sobre",
        "desde",
        "hasta",
        "donde",
        "cuando",
        "della",
        "delle",
        "dello",
        "degli",
        "nella",
        "nelle",
        "sulla",
        "sulle",
        "dalla",
        "dalle",
        "quando",
        "questo",
        "questa",
        "quella",
        "molto",
        "després",
        "aquest",
        "aquesta",
        "perquè",
        "també",
    ]
)
"""Words of five letters or more that say nothing of a topic (the off-topic check ignores them)."""


def shared_words(query: str, text: str, least: int = 5) -> list[str]:
    """The words of `query` of at least `least` letters (not `FUNCTION_WORDS`) whose first `least` letters begin
    a word of `text`."""
    have = folded(text)
    return [
        word
        for word in folded(query)
        if len(word) >= least and word not in FUNCTION_WORDS and any(w.startswith(word[:least]) for w in have)
    ]


def world_strings(world: World) -> dict[str, set[tuple[str, ...]]]:
    """A split's sentences, signs and queries beyond English, normalised (to compare the splits)."""
    talks = world.talk.values()
    saids = [said for talk in talks for said in talk.targets]
    signs = world.large_signs + world.small_signs
    queries = [q for said in saids for q in (said.keyword, said.paraphrase, said.english)]
    queries += [q for sign in signs for q in (sign.query, sign.english)]
    queries += [t.query(code) for t in world.translated for code in TRANSLATED]
    queries += [q for texts in world.offtopic.values() for q in texts]
    return {
        "sentences": {folded(said.text) for said in saids} | {folded(f) for talk in talks for f in talk.fillers},
        "signs": {(sign.text,) for sign in signs},
        "queries": {folded(query) for query in queries},
    }


def check_world(name: str, split: Split) -> None:
    """No query about content beyond English may also be answered by other content of the split, as far as
    words can tell: a keyword-style query in a language is made of its sentence's words (stems) and not of any
    other sentence's of that language; an English query for it is not made of the words of one English sentence
    or title; a Chinese query is part of its sign and of no other; an off-topic query shares no word of five
    letters or more (two characters in Chinese) with the content in its language; a translated query names a
    target of the split."""
    world = split.world
    english = [words(text) for text in (*spoken_texts(split), *split.large, *split.small)]
    english += [words(title) for grid in split.grids for title in grid.titles]

    def english_clash(query: str) -> None:
        if clash := [text.strip() for text in english if set(words(query).split()) <= set(text.split())]:
            raise ValueError(f"{name}: the English query {query!r} is answered by English content too: {clash}")

    for talk in world.talk.values():
        sentences = [said.text for said in talk.targets] + list(talk.fillers)
        for said in talk.targets:
            if missing := unmatched(said.keyword, said.text):
                raise ValueError(f"{name}: keyword query {said.keyword!r} has {missing} not in {said.text!r}")
            if others := [text for text in sentences if text != said.text and not unmatched(said.keyword, text)]:
                raise ValueError(f"{name}: keyword query {said.keyword!r} also matches {others}")
            english_clash(said.english)
    signs = world.large_signs + world.small_signs
    for sign in signs:
        if sign.query not in sign.text:
            raise ValueError(f"{name}: the query {sign.query!r} is not part of its sign {sign.text!r}")
        if others := [other.text for other in signs if other != sign and sign.query in other.text]:
            raise ValueError(f"{name}: the query {sign.query!r} is also part of {others}")
        english_clash(sign.english)
    keywords = {target.keyword for target in split.targets}
    if unknown := [t.target for t in world.translated if t.target not in keywords]:
        raise ValueError(f"{name}: translated queries for targets the split does not have: {unknown}")
    for code, queries in world.offtopic.items():
        check_offtopic(name, code, queries, world)


def check_offtopic(name: str, code: str, queries: Sequence[str], world: World) -> None:
    """Off-topic queries in `code` share no word of five or more letters (no two characters, in Chinese) with
    the split's content in that language (Spanish: in Italian and Catalan, its neighbours)."""
    if code == SCREEN_LANGUAGE:
        signs = [sign.text for sign in world.large_signs + world.small_signs]
        for query in queries:
            pairs = {query[n : n + 2] for n in range(len(query) - 1)}
            if clash := [text for text in signs if any(pair in text for pair in pairs)]:
                raise ValueError(f"{name}: the off-topic query {query!r} shares characters with {clash}")
        return
    languages = [code] if code in world.talk else [other for other in ("it", "ca") if other in world.talk]
    texts = [t for lang in languages for t in (*(s.text for s in world.talk[lang].targets), *world.talk[lang].fillers)]
    for query in queries:
        if shared := {word: text for text in texts for word in shared_words(query, text)}:
            raise ValueError(f"{name}: the off-topic query {query!r} shares words with {shared}")


def check_overlaps(plan: VideoPlan) -> None:
    """No two texts may be on screen at once in the same band (top, centre or bottom) of the frame."""
    for n, one in enumerate(plan.texts):
        for other in plan.texts[n + 1 :]:
            same_band = one["position"].split("-")[0] == other["position"].split("-")[0]
            if same_band and one["start"] < other["end"] and other["start"] < one["end"]:
                raise ValueError(f"{plan.name}: {one['text']!r} and {other['text']!r} overlap on screen")


def made_kinds(made: Collection[str]) -> list[str]:
    """The `WORLD_KINDS` a split has when the content in the languages `made` could be made."""
    return [kind for kind in WORLD_KINDS if needed_language(kind) in (None, *made)]


def needed_language(kind: str) -> str | None:
    """The language whose media a kind's queries point at (`same:it`, `cross:en-it` -> `it`); None when
    they point at English media or at nothing."""
    family, _, languages = kind.partition(":")
    if family == "same" or family == "screen":
        return languages
    if family == "cross" and languages.startswith("en-"):
        return languages[3:]
    return None


def check_plan(planner: Planner, plans: Sequence[VideoPlan], made: Collection[str] = ()) -> None:
    """Every piece of content used exactly once (of the languages `made`), every video of a sensible length,
    enough queries of each kind."""
    split = planner.split
    wanted = {key: len(items) for key, items in content(split, "en").items()}
    for code in made:
        wanted |= {taken_key(key, code): len(items) for key, items in content(split, code).items()}
    if unused := {key: (planner.taken[key], count) for key, count in wanted.items() if planner.taken[key] != count}:
        raise ValueError(f"LAYOUT uses (used, available) items: {unused}")
    if extra := set(planner.taken) - set(wanted):
        raise ValueError(f"the layout used content of languages that were not made: {sorted(extra)}")
    if len(planner.moments) != 4 * len(split.grids):
        raise ValueError(f"LAYOUT shows {len(planner.moments)} of the {4 * len(split.grids)} cross-modal moments")
    for plan in plans:
        check_overlaps(plan)
        if not VIDEO_SECONDS[0] <= plan.duration <= VIDEO_SECONDS[1]:
            raise ValueError(f"{plan.name} lasts {plan.duration} s, outside {VIDEO_SECONDS}")
    counts = Counter(str(query["kind"]) for query in planner.queries)
    least = MIN_QUERIES | dict.fromkeys(made_kinds(made), MIN_WORLD_QUERIES)
    if short := {kind: counts[kind] for kind, n in least.items() if counts[kind] < n}:
        raise ValueError(f"too few queries: {short}")
    if stray := set(counts) - set(least):
        raise ValueError(f"queries of kinds whose content was not made: {sorted(stray)}")


def plan_split(
    split: Split,
    prefix: str,
    voices: dict[str, Voice],
    shared: Path | None,
    made: Collection[str] = (),
    cjk_font: str = "",
) -> tuple[list[VideoPlan], list[Record]]:
    """Lay out the split's videos and derive its queries (off-topic ones included). The videos of
    `WORLD_LAYOUT` follow `LAYOUT`'s, those in a language not in `made` left out (their numbers unused)."""
    planner = Planner(split, voices, shared, cjk_font)
    plans = [planner.plan_video(f"{prefix}_{n:02d}.mp4", scenes) for n, scenes in enumerate(parse_layout(), 1)]
    for n, (language, scenes) in enumerate(parse_world_layout(), len(LAYOUT) + 1):
        if language in made:
            plans.append(planner.plan_video(f"{prefix}_{n:02d}.mp4", scenes))
    for text in split.offtopic:
        planner.query("offtopic", text, None, (0.0, 0.0))
    for code, texts in split.world.offtopic.items():
        for text in texts:
            planner.query(f"offtopic:{code}", text, None, (0.0, 0.0))
    check_plan(planner, plans, made)
    return plans, planner.queries


LIBRARY_FILE, QUERIES_FILE = "library.json", "queries.jsonl"


CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
"""Fonts that draw Chinese, best first: Debian's fonts-wqy-zenhei, fonts-wqy-microhei, fonts-noto-cjk."""


def find_cjk_font() -> Path | None:
    """A font file that draws Chinese: one of `CJK_FONTS`, else fontconfig's first font for Chinese, else None."""
    for name in CJK_FONTS:
        if Path(name).is_file():
            return Path(name)
    if shutil.which("fc-list"):
        found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True)
        paths = sorted(Path(line.strip().rstrip(":")) for line in found.stdout.splitlines() if line.strip())
        return next((path for path in paths if path.is_file()), None)
    return None


def find_tools() -> Tools:
    """ffmpeg (from imageio-ffmpeg, with drawtext), flite and a bold font, or exit with a one-line error;
    festival's text2wave and a CJK font if installed."""
    import imageio_ffmpeg

    flite = shutil.which("flite")
    if flite is None:
        raise SystemExit("error: flite is not installed (apt-get install flite); it speaks the library's sentences")
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    font = find_font()
    if font is None or not has_filter(ffmpeg, "drawtext"):
        raise SystemExit("error: need a TrueType font and an ffmpeg with drawtext to draw the on-screen text")
    return Tools(ffmpeg, flite, font, shutil.which("text2wave"), find_cjk_font())


def shared_folder(value: str | None) -> Path | None:
    """The shared media folder: `--shared PATH`, `--shared none`, or ../shared beside the repository if present."""
    if value is None:
        default = ROOT.parent / "shared"
        return default.resolve() if (default / "media").is_dir() else None
    if value.lower() == "none":
        return None
    if not (Path(value) / "media").is_dir():
        raise SystemExit(f"error: --shared {value} has no media folder")
    return Path(value).resolve()


def previous_hashes(out: Path) -> dict[str, str]:
    """The render hash of each video recorded by an earlier run."""
    try:
        videos = json.loads((out / LIBRARY_FILE).read_text())["videos"]
        return {name: str(video["render_hash"]) for name, video in videos.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def render_all(
    plans: Sequence[VideoPlan], voices: dict[str, Voice], tools: Tools, shared: Path | None, out: Path, force: bool
) -> int:
    """Render the videos that are missing or whose plan changed (all with `force`); how many were rendered."""
    old = previous_hashes(out)
    todo = [
        plan
        for plan in plans
        if force or not (out / plan.name).is_file() or old.get(plan.name) != render_hash(plan.record(), tools)
    ]
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        list(pool.map(lambda plan: render(plan, voices, tools, shared, out / plan.name), todo))
    return len(todo)


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` unless it already holds exactly that."""
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)


def write_outputs(
    out: Path,
    split: str,
    plans: Sequence[VideoPlan],
    queries: Sequence[Record],
    tools: Tools,
    shared: Path | None,
    missing: dict[str, str] | None = None,
) -> None:
    """library.json, queries.jsonl (grouped by kind) and a .gitignore that keeps the folder out of git.
    library.json names the voice of each spoken language and the font of the Chinese, and under `missing`
    the languages whose content could not be made and why."""
    missing = missing or {}
    videos = {plan.name: {**plan.record(), "render_hash": render_hash(plan.record(), tools)} for plan in plans}
    library: Record = {"split": split, "fps": FPS, "size": [WIDTH, HEIGHT], "footage": shared is not None}
    made = {"en": "flite slt"} | {
        code: f"festival {lang.voice}" for code, lang in LANGUAGES.items() if code not in missing
    }
    if SCREEN_LANGUAGE not in missing and tools.cjk_font is not None:
        made[SCREEN_LANGUAGE] = f"font {tools.cjk_font.name}"
    library |= {"languages": made, "missing": missing, "videos": videos}
    write_text(out / LIBRARY_FILE, json.dumps(library, indent=1, ensure_ascii=False) + "\n")
    order = [*MIN_QUERIES, *WORLD_KINDS]
    ranked = sorted(queries, key=lambda query: order.index(str(query["kind"])))
    write_text(out / QUERIES_FILE, "".join(json.dumps(query, ensure_ascii=False) + "\n" for query in ranked))
    write_text(out / ".gitignore", "# generated by scripts/make_eval_library.py\n*\n")


def remove_stale(out: Path, prefix: str, plans: Sequence[VideoPlan]) -> None:
    """Delete videos of this split that the layout no longer has, so they cannot pollute an index of the folder."""
    names = {plan.name for plan in plans}
    for path in out.glob(f"{prefix}_*.mp4"):
        if path.name not in names:
            path.unlink()


def main(argv: Sequence[str] | None = None) -> int:
    """Generate one split into `--out`; print a one-line summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write into, e.g. data/eval/test")
    parser.add_argument("--split", choices=sorted(SPLITS), required=True)
    parser.add_argument("--shared", help="shared folder with media/ (default ../shared if present; 'none' to skip)")
    parser.add_argument("--force", action="store_true", help="re-render videos that already exist")
    args = parser.parse_args(argv)
    began = time.monotonic()
    tools, shared = find_tools(), shared_folder(args.shared)
    check_splits()
    prefix, split = SPLITS[args.split]
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vidsearch-eval-") as scratch:
        folder = Path(scratch)
        voices = synthesise(spoken_texts(split), lambda text, path: speak(text, tools.flite, path), folder, "sentence")
        world_voices, missing = synthesise_world(split.world, tools.text2wave, folder)
        if tools.cjk_font is None:
            missing[SCREEN_LANGUAGE] = "no font that draws Chinese was found (apt-get install fonts-wqy-zenhei)"
        languages = [code for code in (*LANGUAGES, SCREEN_LANGUAGE) if code not in missing]
        warn_missing(missing, prefix, args.out)
        cjk = tools.cjk_font.name if tools.cjk_font is not None else ""
        plans, queries = plan_split(split, prefix, voices | world_voices, shared, languages, cjk)
        made = render_all(plans, voices | world_voices, tools, shared, args.out, args.force)
    write_outputs(args.out, args.split, plans, queries, tools, shared, missing)
    remove_stale(args.out, prefix, plans)
    counts = Counter(str(query["kind"]) for query in queries)
    summary = ", ".join(f"{kind} {counts[kind]}" for kind in (*MIN_QUERIES, *made_kinds(languages)))
    seconds = sum(plan.duration for plan in plans)
    lacking = f"; WITHOUT {', '.join(missing)} (see the warnings above)" if missing else ""
    print(
        f"{args.split}: {len(plans)} videos ({made} rendered, {len(plans) - made} kept, {seconds:.0f} s of video, "
        f"{'real footage' if shared else 'lavfi only'}) and {len(queries)} queries ({summary}) in {args.out} "
        f"[{time.monotonic() - began:.0f} s]{lacking}"
    )
    return 0


def warn_missing(missing: dict[str, str], prefix: str, out: Path) -> None:
    """Say loudly, on stderr, which videos and kinds of query the library will lack, and why."""
    for code, reason in missing.items():
        name = LANGUAGES[code].name if code in LANGUAGES else "Chinese"
        videos = ", ".join(world_video_names(prefix, code))
        kinds = ", ".join(kind for kind in WORLD_KINDS if needed_language(kind) == code)
        print(f"WARNING: {out}: no {name} videos ({videos}), so no {kinds} queries: {reason}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
