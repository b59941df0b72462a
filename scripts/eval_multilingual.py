"""The evaluation library's content beyond English: speech in Italian, Russian and Catalan, Chinese on-screen text,
queries in other languages for the English speech, and off-topic queries in every language.

Read by `make_eval_library.py`, which lays this content out after the English videos (`WORLD_LAYOUT`) and writes
its queries with these kinds:

- `same:<lang>`: a query in the spoken language (`style` keyword or paraphrase) for one of its sentences;
- `cross:en-<lang>`: an English query for that sentence;
- `cross:<lang>-en`: an Italian, Spanish or Russian query for an English target sentence (a translation of its
  keyword or paraphrase query);
- `screen:zh`: a Chinese query for a Chinese title or caption (`style` word: a word inside a longer run of
  characters; whole: all of it), and `cross:en-zh`: an English query for it;
- `offtopic:<lang>`: a query about nothing in the library (video null).

Each split says different sentences and shows different texts. Topics were chosen to stay clear of the split's
English sentences, titles and off-topic queries and of each other, so that every query has one right answer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    """A spoken language besides English and the Debian festival voice that speaks it.

    `voice` is festival's voice function; `encoding` the text encoding its lexicon reads (from the voice's
    `festvox/*.scm`); `unaccented`: the voice wants accents removed; `package` the Debian package of the voice.
    """

    name: str
    voice: str
    encoding: str
    package: str
    unaccented: bool = False


LANGUAGES: dict[str, Language] = {
    "it": Language("Italian", "voice_lp_diphone", "iso-8859-1", "festvox-italp16k", unaccented=True),
    "ru": Language("Russian", "voice_msu_ru_nsh_clunits", "utf-8", "festvox-ru"),
    "ca": Language("Catalan", "voice_upc_ca_ona_hts", "iso-8859-15", "festvox-ca-ona-hts"),
}
"""Spoken languages by ISO 639-1 code. Catalan was chosen over Czech (festvox-czech-dita) and Finnish
(festvox-suopuhe-lj) as the third: Whisper base transcribed it with the fewest word errors."""

SCREEN_LANGUAGE = "zh"
"""The language of the drawn non-Latin text (Chinese, in a CJK font)."""

TRANSLATED = ("it", "es", "ru")
"""Languages of the queries for English target sentences (`cross:<lang>-en`)."""

OFFTOPIC_LANGUAGES = ("it", "ru", "ca", "es", "zh")
"""Languages of the off-topic queries beside English."""


@dataclass(frozen=True)
class Said:
    """A sentence spoken in another language: the answer to a keyword-style and a paraphrase-style query in that
    language, and to one English query (`english_style` says which kind that one is)."""

    text: str
    keyword: str
    paraphrase: str
    english: str
    english_style: str = "keyword"


@dataclass(frozen=True)
class Talk:
    """A split's sentences in one language: targets (with queries) and fillers (no query names them)."""

    targets: tuple[Said, ...]
    fillers: tuple[str, ...]


@dataclass(frozen=True)
class Sign:
    """A Chinese title or caption, a Chinese query for it (a word inside it, or all of it) and an English query."""

    text: str
    query: str
    english: str

    @property
    def style(self) -> str:
        """`whole` when the query is the entire text, `word` when it is a part of it."""
        return "whole" if self.query == self.text else "word"


@dataclass(frozen=True)
class Translated:
    """Queries in Italian, Spanish and Russian for the English target whose keyword query is `target`;
    `style` says whether they translate its keyword or its paraphrase query."""

    target: str
    style: str
    it: str
    es: str
    ru: str

    def query(self, language: str) -> str:
        """The query in `language` (one of `TRANSLATED`)."""
        return {"it": self.it, "es": self.es, "ru": self.ru}[language]


@dataclass(frozen=True)
class World:
    """Everything a split says and shows beyond English."""

    talk: dict[str, Talk]
    large_signs: tuple[Sign, ...]
    small_signs: tuple[Sign, ...]
    translated: tuple[Translated, ...]
    offtopic: dict[str, tuple[str, ...]]


WORLD_LAYOUT: tuple[tuple[str, str], ...] = (
    ("it", "navy: T T | gradient_green: F T | life: T T | cellauto: T"),
    ("it", "gradient_orange: F T | mandelbrot: T F | smptebars: T T | rgbtestsrc: F"),
    ("ru", "rgbtestsrc: T T | gradient_blue: F T | navy: T T | life: T"),
    ("ru", "cellauto: F T | gradient_green: T F | mandelbrot: T T | smptebars: F"),
    ("ca", "smptebars: T T | life: F T | gradient_orange: T T | navy: T"),
    ("ca", "gradient_blue: F T | rgbtestsrc: T F | cellauto: T T | life: F"),
    (
        "zh",
        "navy: / L top, C bottom-right | gradient_green: / L centre, C top-left"
        " | gradient_blue: / L bottom, C top-right | gradient_orange: / L top-left, C bottom",
    ),
    (
        "zh",
        "mandelbrot: / L top, C bottom-left | life: / L centre, C top-right | smptebars: / L bottom, C top-left"
        " | rgbtestsrc: / L top-right, C bottom",
    ),
)
"""The videos after `LAYOUT`'s, in both splits: (language, scenes) in `LAYOUT`'s grammar, where `T` and `F` are
the language's next target and filler sentence and, in `zh` videos, `L` and `C` its next large and small sign."""


TEST_WORLD = World(
    talk={
        "it": Talk(
            targets=(
                Said(
                    "Il traghetto per Cagliari parte dal molo tre alle otto e mezza.",
                    "traghetto Cagliari molo 3",
                    "da dove salpa la nave per la Sardegna",
                    "ferry to Cagliari pier 3",
                ),
                Said(
                    "Il traghetto per Cagliari oggi ha un'ora di ritardo.",
                    "traghetto Cagliari ritardo",
                    "la nave per la Sardegna arriverà più tardi del previsto",
                    "the boat to Sardinia is running an hour late",
                    "paraphrase",
                ),
                Said(
                    "Per il pesto servono basilico fresco, pinoli e parmigiano.",
                    "pesto basilico pinoli",
                    "gli ingredienti della salsa verde genovese",
                    "what goes into the green sauce from Genoa",
                    "paraphrase",
                ),
                Said(
                    "Il pilota della Ferrari ha vinto a Monza con due secondi di vantaggio.",
                    "Ferrari Monza",
                    "chi ha trionfato nel Gran Premio d'Italia",
                    "Ferrari driver wins at Monza",
                ),
                Said(
                    "A Bari domani la temperatura salirà fino a trentotto gradi.",
                    "Bari 38 gradi",
                    "un'ondata di caldo in Puglia",
                    "a heatwave in southern Italy tomorrow",
                    "paraphrase",
                ),
                Said(
                    "Lo sciopero dei taxi a Roma durerà ventiquattro ore.",
                    "sciopero taxi Roma",
                    "i tassisti della capitale si fermano per un giorno",
                    "taxi strike in Rome",
                ),
                Said(
                    "A Napoli la pizzeria più famosa sforna mille pizze al giorno.",
                    "pizzeria Napoli mille pizze",
                    "quante pizze prepara ogni giorno il locale napoletano",
                    "how many pizzas a famous Naples pizzeria bakes a day",
                    "paraphrase",
                ),
                Said(
                    "La nazionale di pallavolo femminile ha battuto il Brasile tre set a uno.",
                    "pallavolo femminile Brasile",
                    "le azzurre hanno sconfitto le sudamericane a rete",
                    "Italy women's volleyball beat Brazil",
                ),
                Said(
                    "Al festival del cinema di Roma ha vinto un regista giapponese.",
                    "festival cinema Roma regista giapponese",
                    "un autore del Giappone premiato per il suo film",
                    "a Japanese director won the prize at the Rome film festival",
                    "paraphrase",
                ),
                Said(
                    "Cuocete le lasagne in forno a centottanta gradi per quaranta minuti.",
                    "lasagne forno 180 gradi",
                    "per quanto tempo va cotta la pasta al forno",
                    "lasagne 180 degrees 40 minutes",
                ),
            ),
            fillers=(
                "Buonasera, ecco le notizie di oggi.",
                "Passiamo ora alle altre notizie.",
                "Restate con noi dopo la pubblicità.",
                "Per stasera è tutto, buonanotte.",
            ),
        ),
        "ru": Talk(
            targets=(
                Said(
                    "Космонавт вернулся на Землю после полугода на орбите.",
                    "космонавт вернулся на Землю",
                    "член экипажа станции приземлился после долгого полёта",
                    "cosmonaut back on Earth after six months in orbit",
                ),
                Said(
                    "Глубина озера Байкал больше полутора километров, это самое глубокое озеро в мире.",
                    "Байкал самое глубокое озеро",
                    "какое озеро глубже всех на планете",
                    "the deepest lake on Earth",
                    "paraphrase",
                ),
                Said(
                    "Варите пельмени семь минут в подсоленной воде.",
                    "пельмени 7 минут",
                    "сколько держать в кипятке тесто с мясной начинкой",
                    "how long to boil Russian dumplings",
                    "paraphrase",
                ),
                Said(
                    "Теннисист Андрей Рублёв вышел в полуфинал турнира в Дубае.",
                    "Рублёв полуфинал Дубай",
                    "российский теннисист прошёл в четвёрку лучших в Эмиратах",
                    "Rublev reaches the semi-final in Dubai",
                ),
                Said(
                    "В субботу в парке Горького будут бесплатно угощать блинами.",
                    "парк Горького блины",
                    "где на выходных бесплатно кормят масленичной выпечкой",
                    "free pancakes in a Moscow park on Saturday",
                    "paraphrase",
                ),
                Said(
                    "Новая детская больница в Уфе примет первых пациентов в июне.",
                    "детская больница Уфа",
                    "когда откроется медицинский центр для малышей",
                    "children's hospital in Ufa opens in June",
                ),
                Said(
                    "Пожарные потушили лесной пожар под Читой за три дня.",
                    "лесной пожар Чита",
                    "огонь в тайге удалось остановить",
                    "forest fire near Chita put out",
                ),
                Said(
                    "Олимпиаду по программированию выиграл студент из Новосибирска.",
                    "олимпиада по программированию Новосибирск",
                    "молодой программист из Сибири победил на соревновании",
                    "a Novosibirsk student won the programming olympiad",
                    "paraphrase",
                ),
                Said(
                    "Учёные вывели новый сорт пшеницы, который выдерживает сильные морозы.",
                    "морозостойкая пшеница",
                    "зерно, которое переживёт холодную зиму",
                    "a wheat variety that survives frost",
                    "paraphrase",
                ),
                Said(
                    "Российские спортсменки выиграли золото в синхронном плавании.",
                    "синхронное плавание золото",
                    "наши пловчихи победили в бассейне",
                    "Russian synchronised swimmers win gold",
                ),
            ),
            fillers=(
                "Добрый вечер, в эфире вечерние новости.",
                "Переходим к другим событиям дня.",
                "Оставайтесь с нами после рекламы.",
                "На этом всё, до встречи завтра.",
            ),
        ),
        "ca": Talk(
            targets=(
                Said(
                    "Les obres de la Sagrada Família acabaran l'any vinent.",
                    "Sagrada Família obres",
                    "quan s'acabarà la basílica de Gaudí",
                    "when Gaudí's basilica will be finished",
                    "paraphrase",
                ),
                Said(
                    "Els castellers de Valls van aixecar un castell de deu pisos.",
                    "castellers Valls deu pisos",
                    "una torre humana molt alta",
                    "human tower of ten levels in Valls",
                ),
                Said(
                    "Per fer pa amb tomàquet, cal fregar el tomàquet sobre el pa torrat.",
                    "pa amb tomàquet",
                    "com s'unta la torrada amb tomata",
                    "how to rub tomato on toasted bread",
                    "paraphrase",
                ),
                Said(
                    "El Futbol Club Barcelona ha guanyat la lliga a falta de quatre jornades.",
                    "Barcelona guanya la lliga",
                    "el club blaugrana és campió abans d'acabar la temporada",
                    "Barcelona wins the league four rounds early",
                ),
                Said(
                    "Els calçots es mengen amb salsa de romesco al mes de febrer.",
                    "calçots romesco",
                    "quina salsa acompanya les cebes a la brasa",
                    "which sauce goes with grilled spring onions",
                    "paraphrase",
                ),
                Said(
                    "El monestir de Montserrat rep tres milions de visitants cada any.",
                    "Montserrat tres milions visitants",
                    "quanta gent va al santuari benedictí cada any",
                    "Montserrat monastery visitors per year",
                ),
                Said(
                    "La Universitat de Girona obrirà un grau de robòtica al setembre.",
                    "Girona grau robòtica",
                    "nous estudis sobre robots a la universitat",
                    "Girona university robotics degree",
                ),
                Said(
                    "La tramuntana bufarà a cent quilòmetres per hora a l'Empordà.",
                    "tramuntana Empordà",
                    "vent molt fort al nord de Catalunya",
                    "gale force winds in the north of Catalonia",
                    "paraphrase",
                ),
                Said(
                    "El govern ha aprovat una llei per protegir els boscos del Montseny.",
                    "llei boscos Montseny",
                    "noves normes per cuidar la natura",
                    "law protecting the Montseny forests",
                ),
                Said(
                    "La collita de préssecs de Lleida ha estat la millor en deu anys.",
                    "collita préssecs Lleida",
                    "una temporada de fruita excel·lent",
                    "the best peach harvest in a decade",
                    "paraphrase",
                ),
            ),
            fillers=(
                "Bon dia i benvinguts a les notícies.",
                "Ara passem a altres notícies.",
                "Tornem després de la publicitat.",
                "Moltes gràcies per la vostra atenció.",
            ),
        ),
    },
    large_signs=(
        Sign("成都熊猫基地", "熊猫", "giant pandas in Chengdu"),
        Sign("西湖龙井茶", "龙井茶", "Longjing tea from West Lake"),
        Sign("八达岭长城", "长城", "the Great Wall at Badaling"),
        Sign("四川火锅", "火锅", "Sichuan hot pot"),
        Sign("春节庙会", "庙会", "temple fair at Spring Festival"),
        Sign("广州塔观光", "广州塔", "sightseeing at the Canton Tower"),
        Sign("丝绸之路", "丝绸之路", "the Silk Road"),
        Sign("舞狮表演", "舞狮", "lion dance show"),
    ),
    small_signs=(
        Sign("注意安全", "注意安全", "safety first"),
        Sign("电梯维修中", "电梯", "lift out of service"),
        Sign("洗手间在二楼", "洗手间", "toilets upstairs"),
        Sign("节约用水", "节约用水", "please save water"),
        Sign("排队等候", "排队", "please queue here"),
        Sign("小心台阶", "台阶", "mind the step"),
        Sign("垃圾分类", "垃圾分类", "sort your rubbish for recycling"),
        Sign("无障碍通道", "无障碍", "wheelchair accessible entrance"),
    ),
    translated=(
        Translated("Dunmore platform 42", "keyword", "Dunmore binario 42", "Dunmore andén 42", "Данмор платформа 42"),
        Translated(
            "saffron risotto",
            "paraphrase",
            "mettere la spezia gialla nel riso",
            "poner la especia amarilla en el arroz",
            "добавить жёлтую специю в рис",
        ),
        Translated(
            "central bank interest rates",
            "keyword",
            "banca centrale tassi di interesse",
            "banco central tipos de interés",
            "центральный банк процентные ставки",
        ),
        Translated(
            "Jupiter 95 moons",
            "paraphrase",
            "quanti satelliti orbitano intorno al pianeta più grande",
            "cuántos satélites giran alrededor del planeta más grande",
            "сколько спутников вращается вокруг самой большой планеты",
        ),
        Translated(
            "flight 717 Lisbon gate 9",
            "keyword",
            "volo 717 Lisbona gate 9",
            "vuelo 717 Lisboa puerta 9",
            "рейс 717 Лиссабон выход 9",
        ),
        Translated(
            "goalkeeper saved a penalty",
            "paraphrase",
            "un rigore parato proprio alla fine della partita",
            "un penalti detenido justo al final del partido",
            "пенальти отбили в самом конце матча",
        ),
        Translated(
            "bronze statue shipwreck Sicily",
            "keyword",
            "statua di bronzo relitto Sicilia",
            "estatua de bronce naufragio Sicilia",
            "бронзовая статуя кораблекрушение Сицилия",
        ),
        Translated(
            "daffodils October",
            "paraphrase",
            "a che profondità piantare i fiori primaverili in autunno",
            "a qué profundidad enterrar las flores de primavera en otoño",
            "на какую глубину сажать весенние цветы осенью",
        ),
        Translated(
            "glacier retreated 1990",
            "paraphrase",
            "il ghiacciaio si è ritirato molto in trent'anni",
            "el glaciar ha retrocedido mucho en tres décadas",
            "ледник сильно отступил за тридцать лет",
        ),
        Translated(
            "violin Venice 300 years",
            "keyword",
            "violino Venezia 300 anni",
            "violín Venecia 300 años",
            "скрипка Венеция 300 лет",
        ),
        Translated(
            "dentist brush teeth two minutes",
            "paraphrase",
            "quanto deve durare ogni volta l'igiene dentale",
            "cuánto debe durar cada vez la higiene dental",
            "сколько времени нужно чистить зубы каждый раз",
        ),
        Translated(
            "pharmacy Elm Street",
            "paraphrase",
            "a che ora apre la farmacia la mattina",
            "a qué hora abre la farmacia por la mañana",
            "во сколько утром открывается аптека",
        ),
    ),
    offtopic={
        "it": (
            "un cane che afferra un frisbee",
            "istruzioni per lavorare a maglia una sciarpa",
            "promesse di matrimonio in chiesa",
            "risolvere il cubo di Rubik",
            "un trucco con lo skateboard in un parcheggio",
            "qualcuno che suona la cornamusa",
            "un mago che fa giochi con le carte",
            "riparare un rubinetto che perde in cucina",
            "un barbiere che taglia i capelli",
            "un ragno che tesse la sua tela",
        ),
        "ru": (
            "собака ловит фрисби",
            "как связать шарф спицами",
            "свадебные клятвы в церкви",
            "как собрать кубик Рубика",
            "трюк на скейтборде на парковке",
            "кто-то играет на волынке",
            "фокусник показывает карточные фокусы",
            "починить протекающий кран на кухне",
            "парикмахер делает стрижку",
            "паук плетёт паутину",
        ),
        "ca": (
            "un gos agafant un frisbi",
            "instruccions per teixir una bufanda",
            "vots de casament en una església",
            "resoldre un cub de Rubik",
            "un truc d'skateboard en un aparcament",
            "algú tocant el sac de gemecs",
            "un mag fent trucs de cartes",
            "arreglar una aixeta que degota a la cuina",
            "un barber tallant els cabells",
            "una aranya teixint la seva teranyina",
        ),
        "es": (
            "un perro atrapando un frisbi",
            "instrucciones para tejer una bufanda",
            "votos matrimoniales en una iglesia",
            "resolver un cubo de Rubik",
            "un truco de monopatín en un aparcamiento",
            "alguien tocando la gaita",
            "un mago haciendo trucos de cartas",
            "arreglar un grifo que gotea en la cocina",
            "un barbero cortando el pelo",
            "una araña tejiendo su telaraña",
        ),
        "zh": (
            "狗接飞盘",
            "织围巾的方法",
            "教堂里的婚礼誓言",
            "还原魔方",
            "停车场里的滑板技巧",
            "有人在吹风笛",
            "魔术师用纸牌变魔术",
            "修理漏水的厨房水龙头",
            "理发师在理发",
            "蜘蛛在织网",
        ),
    },
)

CALIBRATION_WORLD = World(
    talk={
        "it": Talk(
            targets=(
                Said(
                    "La cupola del Duomo di Firenze ha quattrocentosessantatré gradini.",
                    "cupola Firenze gradini",
                    "quanti scalini bisogna salire in cima alla cattedrale",
                    "how many steps to climb Florence's dome",
                    "paraphrase",
                ),
                Said(
                    "La cupola del Duomo di Firenze resterà chiusa per restauro fino a maggio.",
                    "cupola Firenze chiusa maggio",
                    "il monumento toscano non si può visitare per i lavori",
                    "Florence dome closed for restoration until May",
                ),
                Said(
                    "Per la carbonara servono guanciale, uova e pecorino.",
                    "carbonara guanciale pecorino",
                    "gli ingredienti della pasta romana con le uova",
                    "what goes into a Roman egg pasta sauce",
                    "paraphrase",
                ),
                Said(
                    "Il Barolo deve invecchiare almeno tre anni prima della vendita.",
                    "Barolo tre anni",
                    "quanto tempo deve riposare il vino rosso piemontese",
                    "how long Barolo wine must be aged",
                    "paraphrase",
                ),
                Said(
                    "Il Sentiero dell'Amore delle Cinque Terre ha riaperto dopo dodici anni.",
                    "Sentiero dell'Amore riaperto",
                    "il percorso a picco sul mare in Liguria è di nuovo aperto",
                    "the Path of Love in the Cinque Terre reopened after twelve years",
                    "paraphrase",
                ),
                Said(
                    "I tartufi bianchi di Alba si raccolgono da ottobre a dicembre.",
                    "tartufi bianchi Alba",
                    "in quali mesi si cercano i preziosi tuberi piemontesi",
                    "white truffle season in Alba",
                ),
                Said(
                    "Il gelato al pistacchio di Bronte ha vinto il premio come migliore d'Italia.",
                    "gelato pistacchio Bronte",
                    "il dolce freddo siciliano premiato come il migliore",
                    "Bronte pistachio ice cream wins a prize",
                ),
                Said(
                    "Il Colosseo ha accolto sette milioni di visitatori l'anno scorso.",
                    "Colosseo sette milioni",
                    "quanti turisti sono entrati nell'anfiteatro romano",
                    "how many tourists visited the Colosseum last year",
                    "paraphrase",
                ),
                Said(
                    "A Pompei è stato scoperto un affresco con un banchetto.",
                    "Pompei affresco banchetto",
                    "una pittura antica trovata negli scavi vicino a Napoli",
                    "fresco of a banquet found in Pompeii",
                ),
                Said(
                    "Il ghiacciaio della Marmolada perde dieci metri ogni anno.",
                    "ghiacciaio Marmolada",
                    "il ghiaccio delle Dolomiti si sta sciogliendo",
                    "a glacier in the Dolomites is shrinking every year",
                    "paraphrase",
                ),
            ),
            fillers=(
                "Buongiorno e benvenuti al notiziario.",
                "Ed ecco le notizie dalle regioni.",
                "Ci vediamo dopo una breve pausa.",
                "Per oggi è tutto, arrivederci.",
            ),
        ),
        "ru": Talk(
            targets=(
                Said(
                    "На Красной Поляне открылась новая канатная дорога длиной три километра.",
                    "канатная дорога Красная Поляна",
                    "новый подъёмник в горах у Сочи",
                    "new cable car at Krasnaya Polyana",
                ),
                Said(
                    "В Якутии учёные нашли мамонта, пролежавшего во льду сорок тысяч лет.",
                    "мамонт Якутия",
                    "в вечной мерзлоте обнаружили древнее животное",
                    "an ancient animal found frozen in Siberia",
                    "paraphrase",
                ),
                Said(
                    "Для борща свёклу варят отдельно сорок минут.",
                    "борщ свёкла",
                    "как долго готовить корнеплод для красного супа",
                    "how long to boil beetroot for borscht",
                    "paraphrase",
                ),
                Said(
                    "Новый мост через реку Волга откроют в следующем году.",
                    "мост через Волгу",
                    "когда закончат переправу над великой рекой",
                    "new bridge over the Volga opens next year",
                ),
                Said(
                    "Российский шахматист победил на турнире в Дубае.",
                    "шахматный турнир Дубай",
                    "наш гроссмейстер выиграл соревнование в Эмиратах",
                    "Russian chess player wins a tournament in Dubai",
                ),
                Said(
                    "В Калининграде нашли кусок янтаря весом три килограмма.",
                    "янтарь Калининград",
                    "крупная находка окаменевшей смолы на Балтике",
                    "a huge piece of amber found in Kaliningrad",
                    "paraphrase",
                ),
                Said(
                    "Выпускные экзамены в школах начнутся двадцать шестого мая.",
                    "выпускные экзамены 26 мая",
                    "когда у старшеклассников первое испытание",
                    "when the final school exams start",
                    "paraphrase",
                ),
                Said(
                    "В Самаре начнут выпускать новый электромобиль в мае.",
                    "Самара электромобиль",
                    "в Поволжье запустят производство машин на батареях",
                    "electric car production starts in Samara in May",
                ),
                Said(
                    "На Камчатке проснулся вулкан Ключевская сопка.",
                    "вулкан Камчатка",
                    "на дальнем востоке началось извержение",
                    "volcano erupting in Kamchatka",
                ),
                Said(
                    "В Мурманске началась полярная ночь, солнце не взойдёт сорок дней.",
                    "Мурманск полярная ночь",
                    "на севере солнце не покажется больше месяца",
                    "the sun will not rise in Murmansk for forty days",
                    "paraphrase",
                ),
            ),
            fillers=(
                "Здравствуйте, с вами утренние новости.",
                "А теперь о других событиях.",
                "Мы вернёмся после короткой паузы.",
                "Спасибо, что были с нами.",
            ),
        ),
        "ca": Talk(
            targets=(
                Said(
                    "El Parc Güell limitarà l'entrada a quatre mil persones cada hora.",
                    "Parc Güell quatre mil persones",
                    "quanta gent podrà entrar al parc de Gaudí",
                    "how many people may enter Park Güell each hour",
                    "paraphrase",
                ),
                Said(
                    "Els bombers han rescatat tres excursionistes perduts al Montseny.",
                    "bombers excursionistes Montseny",
                    "salven uns muntanyencs desapareguts",
                    "firefighters rescued three lost hikers",
                ),
                Said(
                    "La crema catalana es fa amb llet, ous, sucre i canyella.",
                    "crema catalana",
                    "les postres típiques amb sucre cremat",
                    "ingredients of the Catalan custard dessert",
                    "paraphrase",
                ),
                Said(
                    "El nou hospital de Sabadell tindrà tres-cents llits.",
                    "hospital Sabadell",
                    "quants pacients podrà ingressar el nou centre sanitari",
                    "new hospital in Sabadell with 300 beds",
                ),
                Said(
                    "Els escombriaires de Reus fan vaga des de dilluns.",
                    "vaga escombriaires Reus",
                    "ningú recull les deixalles a la ciutat",
                    "rubbish is not being collected because of a strike",
                    "paraphrase",
                ),
                Said(
                    "Terrassa instal·larà cinc-cents panells solars als edificis municipals.",
                    "Terrassa panells solars",
                    "més energia del sol per a l'ajuntament",
                    "solar panels on Terrassa's public buildings",
                ),
                Said(
                    "La Seu d'Urgell acollirà el campionat del món de piragüisme.",
                    "piragüisme Seu d'Urgell",
                    "una competició de canoes al riu",
                    "canoe world championship in La Seu d'Urgell",
                ),
                Said(
                    "La vacunació contra la grip començarà el quinze d'octubre.",
                    "vacunació grip octubre",
                    "quan es podrà protegir la gent del refredat fort",
                    "when flu vaccination starts",
                    "paraphrase",
                ),
                Said(
                    "Al Delta de l'Ebre ja s'ha acabat la collita de l'arròs.",
                    "collita arròs Delta de l'Ebre",
                    "s'ha acabat de recollir el cereal al sud de Catalunya",
                    "rice harvest finished in the Ebro Delta",
                    "paraphrase",
                ),
                Said(
                    "Els Mossos d'Esquadra han detingut dos carteristes a la Rambla.",
                    "Mossos carteristes Rambla",
                    "la policia atrapa lladres al centre de Barcelona",
                    "pickpockets arrested on La Rambla",
                ),
            ),
            fillers=(
                "Bona tarda i benvinguts al programa.",
                "I ara, la resta de notícies.",
                "Ens retrobem després de la pausa.",
                "Això és tot per avui, adéu.",
            ),
        ),
    },
    large_signs=(
        Sign("北京火车站", "火车", "Beijing railway station"),
        Sign("上海外滩夜景", "外滩", "the Bund in Shanghai at night"),
        Sign("桂林山水", "桂林山水", "Guilin landscape"),
        Sign("黄山云海", "云海", "sea of clouds on Mount Huangshan"),
        Sign("云南普洱茶", "普洱茶", "Pu'er tea from Yunnan"),
        Sign("哈尔滨冰雪节", "冰雪节", "Harbin ice and snow festival"),
        Sign("武术比赛", "武术", "martial arts tournament"),
        Sign("书法课", "书法", "calligraphy class"),
    ),
    small_signs=(
        Sign("禁止吸烟", "吸烟", "no smoking"),
        Sign("小心地滑", "小心地滑", "caution wet floor"),
        Sign("免费无线网络", "无线网络", "free wifi"),
        Sign("紧急出口", "出口", "emergency exit"),
        Sign("限速六十", "限速", "speed limit 60"),
        Sign("请勿触摸", "请勿触摸", "please do not touch"),
        Sign("闭路电视监控", "监控", "CCTV in operation"),
        Sign("当心高压", "高压", "danger high voltage"),
    ),
    translated=(
        Translated(
            "Oxford stand 36",
            "keyword",
            "pullman Oxford corsia 36",
            "autocar Oxford dársena 36",
            "автобус Оксфорд стоянка 36",
        ),
        Translated(
            "stock market fell",
            "paraphrase",
            "le azioni sono crollate dopo la notizia",
            "las acciones cayeron rápidamente tras la noticia",
            "акции резко упали после новости",
        ),
        Translated(
            "telescope built 1880",
            "keyword",
            "telescopio costruito nel 1880",
            "telescopio construido en 1880",
            "телескоп построен в 1880 году",
        ),
        Translated(
            "fog airport Sunday",
            "paraphrase",
            "la scarsa visibilità fermerà i voli nel fine settimana",
            "la poca visibilidad detendrá los vuelos el fin de semana",
            "плохая видимость остановит рейсы на выходных",
        ),
        Translated(
            "room 512",
            "paraphrase",
            "dove dormirà l'ospite dell'albergo",
            "dónde dormirá el huésped del hotel",
            "где будет спать гость отеля",
        ),
        Translated(
            "museum viking ships", "keyword", "museo navi vichinghe", "museo barcos vikingos", "музей кораблей викингов"
        ),
        Translated(
            "prune apple trees",
            "paraphrase",
            "potare i rami degli alberi da frutto all'inizio della primavera",
            "podar las ramas de los frutales a principios de primavera",
            "обрезка веток плодовых деревьев ранней весной",
        ),
        Translated(
            "trumpet lessons September",
            "keyword",
            "lezioni di tromba settembre",
            "clases de trompeta septiembre",
            "уроки игры на трубе сентябрь",
        ),
        Translated(
            "plane landed runway",
            "paraphrase",
            "l'aereo è atterrato senza problemi",
            "el avión aterrizó sin problemas",
            "самолёт приземлился без проблем",
        ),
        Translated(
            "oil the bicycle chain",
            "paraphrase",
            "ogni quanto lubrificare la bicicletta",
            "cada cuánto lubricar la bicicleta",
            "как часто смазывать велосипед",
        ),
        Translated(
            "vinegar baking soda fizz",
            "keyword",
            "aceto bicarbonato effervescenza",
            "vinagre bicarbonato burbujas",
            "уксус сода шипение",
        ),
        Translated(
            "choir Wednesday chapel",
            "paraphrase",
            "quando provano i cantanti ogni settimana",
            "cuándo ensayan los cantantes cada semana",
            "когда репетируют певцы каждую неделю",
        ),
    ),
    offtopic={
        "it": (
            "un cavallo che salta un ostacolo",
            "come piegare un aeroplanino di carta",
            "un pesce rosso che nuota in una boccia",
            "costruire un castello di sabbia",
            "un pappagallo che parla",
            "imparare ad andare sul monociclo",
            "un artista di strada che dipinge un murale",
            "un soffiatore di vetro che modella un vaso",
            "un fabbro che forgia una spada",
            "un vasaio che modella l'argilla al tornio",
        ),
        "ru": (
            "лошадь прыгает через барьер",
            "как сложить бумажный самолётик",
            "золотая рыбка плавает в аквариуме",
            "строим замок из песка",
            "говорящий попугай",
            "учусь кататься на моноцикле",
            "уличный художник рисует мурал",
            "стеклодув выдувает вазу",
            "кузнец куёт меч",
            "гончар лепит из глины на круге",
        ),
        "ca": (
            "un cavall saltant una tanca",
            "com plegar un avió de paper",
            "un peix vermell nedant en una peixera",
            "fer un castell de sorra",
            "un lloro que parla",
            "aprendre a anar en monocicle",
            "un artista de carrer pintant un mural",
            "un bufador de vidre fent un gerro",
            "un ferrer forjant una espasa",
            "un terrisser modelant fang al torn",
        ),
        "es": (
            "un caballo saltando una valla",
            "cómo doblar un avión de papel",
            "un pez dorado nadando en una pecera",
            "construir un castillo de arena",
            "un loro que habla",
            "aprender a montar en monociclo",
            "un artista callejero pintando un mural",
            "un soplador de vidrio dando forma a un jarrón",
            "un herrero forjando una espada",
            "un alfarero moldeando arcilla en el torno",
        ),
        "zh": (
            "马跳过栅栏",
            "怎么折纸飞机",
            "鱼缸里游泳的金鱼",
            "堆沙堡",
            "会说话的鹦鹉",
            "学骑独轮车",
            "街头艺术家画壁画",
            "吹玻璃的工匠做花瓶",
            "铁匠打造宝剑",
            "陶艺师在转盘上捏陶土",
        ),
    },
)
