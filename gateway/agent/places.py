"""Countries outside the EU that customers ask to be shipped to, named in nine languages."""

from __future__ import annotations

from gateway.agent.lexicons import CJK, WORD, fold

# Folded names (and a few large cities) per country. EU members are left out on purpose:
# a KB that ships "within the EU" covers them without naming each one.
COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "Switzerland": ("switzerland", "schweiz", "suisse", "svizzera", "suiza", "zwitserland",
                    "suica", "szwajcaria", "szwajcarii", "zurich", "geneva", "geneve", "genf",
                    "basel", "bern", "lausanne", "スイス"),
    "Norway": ("norway", "norwegen", "norvege", "norvegia", "noruega", "noorwegen",
               "norwegia", "norwegii", "oslo", "ノルウェー"),
    "Iceland": ("iceland", "island", "islande", "islanda", "islandia", "ijsland", "islandii",
                "reykjavik", "アイスランド"),
    "Australia": ("australia", "australien", "australie", "australii", "melbourne", "sydney",
                  "brisbane", "perth", "オーストラリア"),
    "New Zealand": ("new zealand", "neuseeland", "nouvelle-zelande", "nuova zelanda",
                    "nueva zelanda", "nieuw-zeeland", "nova zelandia", "nowa zelandia",
                    "auckland", "ニュージーランド"),
    "Japan": ("japan", "japon", "giappone", "japao", "japonia", "japonii", "tokyo", "osaka",
              "日本", "東京", "大阪"),
    "Mexico": ("mexico", "mexiko", "mexique", "messico", "meksyk", "meksyku", "メキシコ"),
    "Brazil": ("brazil", "brasilien", "bresil", "brasile", "brasil", "brazylia", "brazylii",
               "sao paulo", "rio de janeiro", "curitiba", "ブラジル"),
    "Argentina": ("argentina", "argentinien", "argentine", "argentinie", "argentyna",
                  "argentyny", "buenos aires", "アルゼンチン"),
    "Chile": ("chile", "chili", "cile", "chili", "santiago de chile", "チリ"),
    "Colombia": ("colombia", "kolumbien", "colombie", "colombia", "kolumbia", "kolumbii",
                 "bogota", "コロンビア"),
    "China": ("china", "chine", "cina", "chiny", "chin", "shanghai", "beijing", "中国"),
    "India": ("india", "indien", "inde", "indie", "indii", "mumbai", "delhi", "インド"),
    "South Korea": ("south korea", "korea", "sudkorea", "coree", "corea", "zuid-korea",
                    "coreia", "korei", "seoul", "韓国"),
    "Singapore": ("singapore", "singapur", "singapour", "cingapura", "シンガポール"),
    "Turkey": ("turkey", "turkei", "turquie", "turchia", "turquia", "turkije", "turcja",
               "turcji", "istanbul", "トルコ"),
    "Israel": ("israel", "izrael", "izraela", "tel aviv", "イスラエル"),
    "South Africa": ("south africa", "sudafrika", "afrique du sud", "sudafrica",
                     "zuid-afrika", "africa do sul", "rpa", "南アフリカ"),
    "Ukraine": ("ukraine", "ucraina", "ucrania", "oekraine", "ucrania", "ukraina", "ukrainy",
                "kyiv", "kiev", "ウクライナ"),
    "Serbia": ("serbia", "serbien", "serbie", "servie", "servia", "serbii", "belgrade",
               "セルビア"),
}
# English words the query has for shipping (the glossary translates "envío", "liefern",
# "配送" into them).
SHIPPING = frozenset({"ship", "ships", "shipping", "shipped", "shipment", "deliver",
                      "delivers", "delivery", "delivered"})
SHIPPING_JA = ("配送", "発送", "送料", "配達")  # found as substrings: Japanese has no spaces


def named_countries(question: str) -> list[str]:
    """The countries of COUNTRY_NAMES a question names (by any of their names)."""
    folded = fold(question)
    words = set(WORD.findall(folded))
    spaced = f" {' '.join(WORD.findall(folded))} "
    found = []
    for country, names in COUNTRY_NAMES.items():
        if any(name in folded if CJK.search(name) else
               (f" {name} " in spaced if " " in name or "-" in name else name in words)
               for name in names):
            found.append(country)
    return found


def latin_names(country: str) -> list[list[str]]:
    """The words of each name of ``country`` a Latin-script KB could contain."""
    return [WORD.findall(name) for name in COUNTRY_NAMES[country] if not CJK.search(name)]
