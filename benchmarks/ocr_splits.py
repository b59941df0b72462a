"""How often the screen-text word splitter (`indexer.encoders.ocr._respace`) splits words of other
languages, and how many English run-togethers it still splits, against wordninja alone (what it
did before COMMON).

- non-English: the words of 7+ ASCII letters in the `stop-words` lists of 16 Latin-script
  languages, and FOREIGN (common Italian, Spanish, German, French and Portuguese words);
- English: ENGLISH (captions run together, as OCR of small text reads them) and, with
  `--library` (an evaluation library.json), every on-screen line of it with each pair of
  neighbouring words run together and with all its words run together;
- counted: the words that wordninja splits into pieces of 3+ letters, numbers or letter+number
  codes (what was kept before), and of those how many `_respace` still splits.

Usage: python benchmarks/ocr_splits.py [--library data/eval/test/library.json] [--show]
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import wordninja
from stop_words import get_stop_words

from indexer.encoders.ocr import RUN_TOGETHER, _codes, _respace

FOREIGN = """precipitazioni informazioni Bundesregierung Geschwindigkeit temperatura previsioni informacion
actualizacion Nachrichten Wettervorhersage aujourdhui Bahnhofstrasse Marktplatz carabinieri domenica settimana
Weltmeisterschaft Fussballspiel telegiornale ultimaora Ayuntamiento Hauptbahnhof circolazione manifestazione
autostrada Buongiorno campionato allenatore giocatore stagione giornata classifica pomeriggio ristorante
biglietteria uscita noticias deportes gobierno elecciones presidente mercado trabajo educacion semana manana tarde
Abfahrt Ankunft Ausgang Eingang Haltestelle Verspatung Sonderangebot Feuerwehr Krankenhaus Rathaus Wochenende
actualites meteo dimanche semaine gouvernement ministre election journaliste aeroport boulangerie noticiario
futebol campeonato jogador treinador selecao vitoria derrota empate segunda"""
ENGLISH = """smallcaptionhere GateB12closed breakingnews BREAKINGNEWS Platform42 TodaysWeather LIVECOVERAGE
weatherforecast subscribenow clickhere followus Sponsoredby watchmore NextEpisode comingsoon exclusiveinterview
stockmarket interestrates gameover pressstart highscore newrecord finalscore halftime kickoff lastminute worldcup
championsleague tonightat9pm seasonfinale chapterone trafficupdate roadclosed exitonly emergencyexit nosmoking
freshbread openhours thankyouforwatching likeandsubscribe dontforget nextweek lowbattery loadinggame
savingprogress"""
LANGUAGES = ("it", "es", "de", "fr", "pt", "nl", "sv", "pl", "ro", "id", "da", "fi", "hu", "tr", "cs", "ca")


def _before(word: str) -> bool:
    """Whether the splitter before COMMON split `word`."""
    pieces = _codes(wordninja.split(word))
    plausible = all(len(p) >= 3 or p.isdigit() or (p[:1].isalpha() and p[1:].isdigit()) for p in pieces)
    return len(pieces) > 1 and plausible


def _glued(library: Path) -> set[str]:
    found: set[str] = set()
    for video in json.loads(library.read_text())["videos"].values():
        for shown in video.get("texts", []):
            words = shown["text"].split()
            found |= {"".join(words)} | {a + b for a, b in itertools.pairwise(words)}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path)
    parser.add_argument("--show", action="store_true", help="list the words whose fate changed")
    args = parser.parse_args()
    foreign = set(FOREIGN.split()) | {w for code in LANGUAGES for w in get_stop_words(code) if RUN_TOGETHER.match(w)}
    english = set(ENGLISH.split()) | (_glued(args.library) if args.library else set())
    for name, words in (("non-English", foreign), ("English", english)):
        split = sorted(w for w in words if RUN_TOGETHER.match(w) and _before(w))
        still = [w for w in split if _respace(w) != w]
        print(f"{name}: {len(words)} words, wordninja alone splits {len(split)}, now {len(still)} of them")
        if args.show:
            shown = still if name == "non-English" else sorted(set(split) - set(still))
            print("  " + ("still split: " if name == "non-English" else "no longer split: ") + " ".join(shown))


if __name__ == "__main__":
    main()
