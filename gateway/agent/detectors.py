"""Built-in escalation detectors: topics a person must handle, in nine languages, with evidence.

Each detector is a category (legal, data_protection, payment_dispute, account_compromise,
security_report, self_harm_safety) with regular expressions per language, run on folded
text (lower case, accents removed: see ``lexicons.fold``). A hit returns the category, the
language of the pattern and the matched words, so every escalation shows *why*.

Japanese has no spaces, so its patterns are plain substrings (folded the same way as the
text: NFKD drops the dakuten of kana, on both sides).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.agent.lexicons import fold

_G = r"[^.?!\n]{0,40}?"  # a few words inside one sentence

# category -> language -> patterns (folded form; ja patterns are folded at compile time)
TOPIC_PATTERNS: dict[str, dict[str, tuple[str, ...]]] = {
    "legal": {
        "en": (
            r"\b(?:my |our )?(?:lawyers?|attorneys?|solicitors?|legal counsel)\b",
            r"\b(?:lawsuit|litigation|subpoena\w*|cease and desist|class action)\b",
            r"\b(?:i|we)(?: will| ll|'ll| am going to| are going to| shall)? sue\b"
            r"|\bsue (?:you|your company|them)\b|\bsuing\b",
            r"\blegal (?:action|proceedings|steps|claim|department|notice)\b",
            r"\b(?:small claims|take (?:you|this|your company) to court|court order"
            r"|letter before action|in court)\b",
        ),
        "de": (
            r"\b(?:rechts)?anwalt\w*|\banwaltlich\w*|\banwaltin\w*",
            r"\b(?:klage|klagen|verklage\w*|einklagen)\b|\bgericht(?:lich\w*|e|s)?\b",
            r"\brechtliche\w* (?:schritte|konsequenzen)\b|\bmahnbescheid\b|\babmahnung\b"
            r"|\brechtsabteilung\b|\bvorladung\b",
        ),
        "fr": (
            r"\bavocat\w*|\bpoursuites?\b|\bpoursuivre\b|\btribunal\b|\bjustice\b",
            r"\bmise en demeure\b|\bassignation\b|\bcontentieux\b|\bporter plainte\b"
            r"|\bdeposer (?:une )?plainte\b",
        ),
        "es": (
            r"\babogad[oa]s?\b|\bdemanda(?:r|remos|re|ré)?\b|\btribunal(?:es)?\b|\bjuzgado\b",
            r"\b(?:acciones|medidas) (?:legales|judiciales)\b|\bvia judicial\b"
            r"|\bdenuncia(?:r|re)?\b|\bburofax\b",
        ),
        "it": (
            r"\bavvocat\w+|\bazion[ei] legal[ei]\b|\bvie legali\b|\bufficio legale\b",
            r"\bfare causa\b|\bfaro causa\b|\bdiffida\b|\btribunale\b|\bdenuncia\w*"
            r"|\bin giudizio\b",
        ),
        "nl": (
            r"\badvoca(?:at|ten)\b|\brechtszaak\b|\brechter\b|\brechtbank\b|\bdagvaarding\b",
            r"\bjuridische stappen\b|\bingebrekestelling\b|\baangifte doen\b|\baanklacht\b",
        ),
        "pt": (
            r"\badvogad[oa]s?\b|\bprocess(?:ar|o judicial|arei|aremos)\b|\btribunal\b",
            r"\b(?:acao|medidas) (?:judicial|judiciais|legal|legais)\b|\bprocon\b"
            r"|\bnotificacao extrajudicial\b|\bna justica\b",
        ),
        "pl": (
            r"\bprawnik\w*|\badwokat\w*|\bpozew\b|\bpozwe\w*|\bpozwac\b"
            r"|\bradca prawn\w+",
            r"\b(?:do|w) sadzie\b|\bdo sadu\b|\bsadow\w+|\bkroki prawne\b"
            r"|\bwezwanie do zaplaty\b|\bkancelari\w+",
        ),
        "ja": ("弁護士", "訴訟", "訴え", "裁判", "法的措置", "法的手段", "内容証明", "提訴"),
    },
    "data_protection": {
        "en": (
            r"\b(?:gdpr|ccpa|dsar|data protection officer|dpo)\b",
            r"\bright (?:to|of) (?:be forgotten|erasure|access|object|rectification"
            r"|data portability)\b",
            r"\bsubject access request\b|\barticle (?:15|17|21)\b",
            r"\b(?:erase|delete|remove|erasure of|deletion of|copy of|export)\b" + _G
            + r"\bpersonal (?:data|information)\b",
            r"\b(?:what|all|any) (?:personal )?(?:data|information) (?:you|your company)"
            r" (?:hold|have|store|keep|process)\w* (?:about|on|of) me\b",
            r"\bobject to (?:the |any )?processing\b|\bwithdraw (?:my )?consent\b",
        ),
        "de": (
            r"\b(?:dsgvo|datenschutz\w*|datenauskunft|art(?:ikel|\.)? ?(?:15|17|21))\b",
            r"\brecht auf (?:loschung|vergessenwerden|vergessen werden|auskunft|widerspruch)\b",
            r"\bpersonenbezogen\w* daten\b|\bloschung (?:aller |meiner )+\w*\s?daten\b",
            r"\bauskunft\b" + _G + r"\b(?:gespeichert\w*|daten)\b",
            r"\bwiderspruch gegen die verarbeitung\b|\bwiderrufe? (?:meine )?einwilligung\b",
        ),
        "fr": (
            r"\b(?:rgpd|cnil)\b|\bdonnees (?:personnelles|a caractere personnel)\b",
            r"\bdroit (?:a l'oubli|a l'effacement|d'acces|d'opposition|de rectification)\b",
            r"\bm'oppose au traitement\b|\bdelegue a la protection des donnees\b",
        ),
        "es": (
            r"\b(?:rgpd|lopd|lopdgdd|aepd|derechos arco)\b|\bdatos personales\b",
            r"\bderecho (?:al olvido|de supresion|de acceso|de oposicion|de rectificacion)\b",
            r"\bme opongo al tratamiento\b",
        ),
        "it": (
            r"\bgdpr\b|\bdati personali\b|\bgarante (?:della |per la )?privacy\b",
            r"\bdiritto (?:all'oblio|alla cancellazione|di accesso|di opposizione)\b",
            r"\bmi oppongo al trattamento\b",
        ),
        "nl": (
            r"\bavg\b|\bpersoonsgegevens\b|\binzageverzoek\b|\bautoriteit persoonsgegevens\b",
            r"\brecht (?:op vergetelheid|om vergeten te worden|op inzage|van bezwaar"
            r"|op verwijdering|op gegevenswissing)\b|\bbezwaar tegen de verwerking\b",
        ),
        "pt": (
            r"\b(?:lgpd|rgpd|anpd|cnpd)\b|\bdados pessoais\b",
            r"\bdireito (?:ao esquecimento|de acesso|ao apagamento|de oposicao"
            r"|a eliminacao)\b",
        ),
        "pl": (
            r"\brodo\b|\buodo\b|\bdan(?:e|ych) osobow\w+",
            r"\bprawo do (?:bycia zapomnianym|usuniecia|dostepu|sprzeciwu|informacji)\b"
            r"|\bsprzeciw wobec przetwarzania\b",
        ),
        "ja": ("個人情報", "個人テータ", "開示請求", "削除請求", "利用停止", "GDPR"),
    },
    "payment_dispute": {
        "en": (
            r"\bcharge ?backs?\b",
            r"\bdisput\w*\b" + _G + r"\b(?:charges?|payments?|transactions?|invoices?|bank"
            r"|card)\b",
            r"\b(?:did not|didn'?t|never) authori[sz]e\b",
            r"\b(?:file|filed|open|opened|raise|raised|start|started) a dispute\b",
            r"\b(?:unauthori[sz]ed|fraudulent|unrecogni[sz]ed) (?:charge|payment|transaction"
            r"|debit)s?\b",
            r"\b(?:contact|contacted|call|called|told|asked|ask|tell) my (?:bank|card issuer"
            r"|credit card company)\b|\breverse the (?:charge|payment)\b",
        ),
        "de": (
            r"\bchargeback\b|\bruckbuchung\w*|\bruckbelastung\w*|\bruckgangig\w* (?:bei|uber)"
            r" (?:der|meiner) bank\b",
            r"\blastschrift\w*\b" + _G + r"\b(?:zuruck\w*|widersproch\w*|widerrufen)\b",
            r"\b(?:bei|mit) meiner bank\b" + _G + r"\b(?:widerspr\w*|reklamier\w*|beanstand\w*"
            r"|gemeldet|melden|zuruck\w*)\b",
            r"\bnicht autorisiert\w* (?:abbuchung|zahlung|belastung)\w*",
        ),
        "fr": (
            r"\bchargeback\b|\bcontestation (?:de|du|d'un) (?:paiement|prelevement)\b",
            r"\bcontester (?:le|ce|la|cette) (?:paiement|prelevement|debit|transaction)\b",
            r"\bopposition (?:bancaire|sur (?:le|ce) paiement)\b|\brejet de prelevement\b",
            r"\b(?:prelevement|paiement|debit)s? non autorises?\b",
            r"\bma banque\b" + _G + r"\b(?:contest\w*|opposition|annul\w*)\b",
        ),
        "es": (
            r"\bcontracargo\w*|\bchargeback\b|\bdisputa (?:del|de|el) (?:cargo|pago)\b",
            r"\b(?:disputar|reclamar|anular) (?:el|este) (?:cargo|pago)\b",
            r"\bcargos? no autorizados?\b|\bmi banco\b" + _G + r"\b(?:reclam\w*"
            r"|anul\w*|disput\w*)\b",
        ),
        "it": (
            r"\bchargeback\b|\bcontestare (?:l'addebito|il pagamento|la transazione)\b",
            r"\bcontestazione (?:dell'addebito|del pagamento)\b|\bstorno\b",
            r"\baddebit[oi] non autorizzat[oi]\b",
        ),
        "nl": (
            r"\bchargeback\b|\bterugboek\w*|\bstorner\w*|\bbetwist\w*",
            r"\bniet geautoriseerde (?:betaling|afschrijving)\w*",
        ),
        "pt": (
            r"\bchargeback\b|\bestorno\b" + _G + r"\bcartao\b",
            r"\bcontestar (?:a|o|esta|este) (?:cobranca|compra|pagamento)\b|\bcontestacao\b",
            r"\bcobranca nao autorizada\b",
        ),
        "pl": (
            r"\bchargeback\b|\bobciazeni\w* zwrotn\w+",
            r"\breklamacj\w+ (?:w|do|przez) bank\w*|\bnieautoryzowan\w+ (?:platnos\w+"
            r"|transakcj\w+|obciazen\w+)|\bzakwestionow\w+ (?:platnos\w+|transakcj\w+)",
        ),
        "ja": ("チャージバック", "不正請求", "身に覚えのない請求", "カード会社に",
               "支払いに異議", "不正利用"),
    },
    "account_compromise": {
        "en": (
            r"\bhack(?:ed|er|ers)\b|\bhijacked\b|\baccount takeover\b",
            r"\b(?:someone|somebody|a stranger) (?:else )?(?:has )?(?:logged|logging|signed"
            r"|got) (?:in|into)\b",
            r"\baccount\b" + _G + r"\b(?:compromised|taken over|broken into)\b",
            r"\b(?:unauthori[sz]ed|suspicious|unknown) (?:access|login|log-in|logins|sign-in"
            r"|sign-ins)\b",
            r"\b(?:password|e-?mail|email address|phone number) (?:was|has been|got|were)"
            r" (?:changed|reset)\b" + _G + r"\b(?:without|not me|wasn'?t me)\b",
            r"\bsign-?ins?\b" + _G + r"\bfrom (?:another|a different|an unknown|a foreign)"
            r" (?:country|location|device)\b",
            r"\b(?:stolen|leaked) (?:account|password|credentials)\b"
            r"|\b(?:changed|reset) my (?:email|password|e-mail)\b" + _G + r"\bwithout\b",
        ),
        "de": (
            r"\bgehackt\b|\bkompromittiert\b|\bgekapert\b",
            r"\bunbefugt\w* (?:zugriff|anmeldung|login)\w*|\bfremde\w* (?:anmeldung|login"
            r"|zugriff)\w*",
            r"\bjemand\b" + _G + r"\b(?:eingeloggt|angemeldet|zugriff)\b",
            r"\b(?:konto|account)\b" + _G + r"\bubernommen\b",
        ),
        "fr": (
            r"\b(?:compte|mot de passe)\b" + _G + r"\b(?:pirate|piratee|compromis|vole)\b",
            r"\bpirat\w+|\bhacke\w*|\bacces non autorise\b|\busurpation\b",
            r"\bquelqu'un\b" + _G + r"\bconnecte\b",
        ),
        "es": (
            r"\bhackea\w+|\bpirate\w+|\bacceso no autorizado\b|\bsuplantacion\b",
            r"\b(?:robado|robaron) (?:la|mi) cuenta\b|\balguien\b" + _G
            + r"\b(?:entro|entrado|accedido|accedio)\b",
        ),
        "it": (
            r"\bhackerat\w+|\bviolat\w+|\baccesso non autorizzato\b|\bfurto d'identita\b",
            r"\bqualcuno\b" + _G + r"\b(?:entrat\w+|accedut\w+|acceduto)\b",
        ),
        "nl": (
            r"\bgehackt\b|\bgekaapt\b|\bonbevoegde toegang\b|\baccount overgenomen\b",
            r"\biemand\b" + _G + r"\b(?:ingelogd|toegang)\b",
        ),
        "pt": (
            r"\bhackea\w+|\binvadid\w+|\binvadiram\b|\bacesso nao autorizado\b",
            r"\balguem\b" + _G + r"\b(?:entrou|acessou)\b|\bconta roubada\b",
        ),
        "pl": (
            r"\bzhakowan\w+|\bwlaman\w+|\bnieautoryzowan\w* dostep\w*|\bprzejet\w+ kont\w*",
            r"\bktos\b" + _G + r"\bzalogowal\w*",
        ),
        "ja": ("乗っ取", "不正アクセス", "不正ロクイン", "ハッキンク", "勝手にロクイン"),
    },
    "security_report": {
        "en": (
            r"\bvulnerabilit(?:y|ies)\b|\bexploit\w*\b|\bxss\b|\bcross-site scripting\b",
            r"\b(?:sql|command) injection\b|\bcsrf\b|\bremote code execution\b|\brce\b",
            r"\bresponsible disclosure\b|\bbug bounty\b|\bcve-\d+|\bproof of concept\b",
            r"\bprivilege escalation\b|\bsecurity (?:flaw|hole|bug|researcher|issue in"
            r"|vulnerability)\b|\bdata breach\b",
        ),
        "de": (r"\bsicherheitslucke\w*|\bschwachstelle\w*|\bsicherheitsforscher\w*"
               r"|\bexploit\w*|\bdatenleck\w*|\bdatenpanne\b",),
        "fr": (r"\bvulnerabilite\w*|\bfaille\w*|\bchercheur en securite\b|\binjection sql\b"
               r"|\bfuite de donnees\b",),
        "es": (r"\bvulnerabilidad\w*|\b(?:fallo|brecha|agujero) de seguridad\b"
               r"|\binyeccion sql\b|\bfuga de datos\b",),
        "it": (r"\bvulnerabilita\b|\bfalla di sicurezza\b|\bricercatore di sicurezza\b"
               r"|\bfuga di dati\b",),
        "nl": (r"\bkwetsbaarhe\w+|\bbeveiligingslek\w*|\blek in (?:de|uw|jullie) beveiliging"
               r"|\bdatalek\b",),
        "pt": (r"\bvulnerabilidade\w*|\b(?:falha|brecha) de seguranca\b"
               r"|\bvazamento de dados\b",),
        "pl": (r"\bpodatnos\w+|\bluk\w* (?:w zabezpieczeniach|bezpieczenstwa)"
               r"|\bwyciek danych\b",),
        "ja": ("脆弱性", "セキュリティホール", "情報漏洩", "情報漏えい"),
    },
    "self_harm_safety": {
        "en": (
            r"\bkill myself\b|\bsuicid\w+|\bend (?:my life|it all)\b|\bwant to die\b",
            r"\bself[- ]harm\b|\bhurt(?:ing)? myself\b|\bno reason to live\b"
            r"|\bcan'?t go on\b",
            r"\b(?:caught|catch|catches) fire\b|\belectric(?:al)? shock\b|\binjur(?:ed|y|ies)\b"
            r"|\bburn(?:ed|t) (?:my|his|her|our)\b|\bexplod\w+|\bsmoke (?:came|coming)\b",
            # bodily injury: a cut or wound, bleeding, stitches, a trip to hospital
            r"\b(?:cut|gashed|sliced|hurt) (?:my|his|her|our|their) (?:own )?(?:hand|finger|arm"
            r"|leg|foot|face|eye|head|skin|thumb|wrist|child|son|daughter|kid)s?\b"
            r"|\bstitches\b|\b(?:was|is|were|started|kept|still|it's|and) bleeding\b|\bbled\b"
            r"|\bbleeding (?:badly|heavily|a lot)\b|\b(?:went|go|taken|rushed|ended up)"
            r"(?: \w+)? (?:to|in) (?:the )?(?:hospital|a&e|emergency room|er)\b",
        ),
        "de": (
            r"\bsuizid\w*|\bselbstmord\w*|\bumbringen\b|\bnicht mehr leben\b"
            r"|\bdas leben nehmen\b",
            r"\bverletzt\b|\bverbrannt\b|\bstromschlag\b|\bfeuer gefangen\b|\bin brand geraten\b"
            r"|\bexplodiert\b",
            r"\b(?:mich|sich)(?: \w+){0,3} geschnitten\b|\b(?:finger|hand|daumen) geschnitten\b"
            r"|\bschnittwunde\w*|\bblut(?:et|ete|ung\w*)\b|\bgenaht\b"
            r"|\bim krankenhaus\b|\bins krankenhaus\b|\bnotaufnahme\b",
        ),
        "fr": (
            r"\bsuicid\w+|\bme tuer\b|\ben finir\b|\bplus envie de vivre\b",
            r"\bblesse(?:e|s|es)?\b|\bbrule\w*|\bpris feu\b|\belectrocut\w+|\bexplose\b",
            r"\b(?:je me suis|il s'est|elle s'est|s'est) coupee?\b|\bsaign\w+|\bpoints de suture\b"
            r"|\ba l'hopital\b|\baux urgences\b",
        ),
        "es": (
            r"\bsuicid\w+|\bquitarme la vida\b|\bmatarme\b|\bno quiero vivir\b",
            r"\bherid[oa]s?\b|\bquemadura\w*|\bse incendio\b|\bdescarga electrica\b"
            r"|\bexploto\b",
            r"\bme (?:corte|he cortado)\b|\bse corto\b|\bsangr\w+|\bpuntos de sutura\b"
            r"|\bal hospital\b|\ben urgencias\b|\ba urgencias\b",
        ),
        "it": (
            r"\bsuicid\w+|\btogliermi la vita\b|\buccidermi\b|\bnon voglio piu vivere\b",
            r"\bferit[oa]\b|\bustion\w+|\bpreso fuoco\b|\bscossa elettrica\b|\besploso\b",
            r"\bmi sono tagliat[oa]\b|\bsi e tagliat[oa]\b|\bsanguin\w+|\bpunti di sutura\b"
            r"|\bin ospedale\b|\bal pronto soccorso\b",
        ),
        "nl": (
            r"\bzelfmoord\w*|\bsuicid\w*|\bmezelf (?:iets )?aandoen\b|\bniet meer leven\b",
            r"\bgewond\b|\bverbrand\b|\bvlam gevat\b|\belektrische schok\b|\bontploft\b",
            r"\b(?:me|mezelf|zich)(?: \w+){0,3} gesneden\b|\b(?:vinger|hand|duim) gesneden\b"
            r"|\bbloed(?:de|t|en)\b|\bhechting\w*|\bnaar het ziekenhuis\b"
            r"|\bin het ziekenhuis\b|\bspoedeisende hulp\b",
        ),
        "pt": (
            r"\bsuicid\w+|\bme matar\b|\btirar (?:a )?minha (?:propria )?vida\b"
            r"|\bnao quero mais viver\b",
            r"\bferid[oa]\b|\bqueimadura\w*|\bpegou fogo\b|\bchoque eletrico\b|\bexplodiu\b",
            r"\bme cortei\b|\bcortou (?:a|o|minha|meu)\b|\bsangr\w+|\bpontos de sutura\b"
            r"|\bao hospital\b|\bno hospital\b|\bnas urgencias\b",
        ),
        "pl": (
            r"\bsamobojstw\w*|\bzabic sie\b|\bodebrac sobie zycie\b|\bnie chce (?:juz )?zyc\b",
            r"\branny\b|\bpoparz\w+|\bzapalil\w* sie\b|\bsie zapalil\w*"
            r"|\bporazen\w* pradem\b|\bwybuchl\w*",
            r"\bskaleczyl\w*|\bkrwaw\w+|\bszwy\b|\bszpital\w*",
        ),
        "ja": ("死にたい", "自殺", "消えたい", "生きていけない", "怪我", "けか", "発火",
               "火事", "感電", "やけと", "爆発", "出血", "血か出", "縫", "病院に", "救急"),
    },
}

CATEGORIES = tuple(TOPIC_PATTERNS)


@dataclass(frozen=True)
class TopicHit:
    category: str
    language: str
    matched: str

    def __str__(self) -> str:
        return f"{self.category}: {self.matched!r} ({self.language})"


def _compile(language: str, pattern: str) -> re.Pattern[str]:
    return re.compile(re.escape(fold(pattern)) if language == "ja" else pattern)


_COMPILED: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    category: [(lang, _compile(lang, p)) for lang, pats in by_lang.items() for p in pats]
    for category, by_lang in TOPIC_PATTERNS.items()
}


def detect_topic(folded: str, categories: tuple[str, ...] = CATEGORIES) -> TopicHit | None:
    """The first category (in CATEGORIES order) whose pattern occurs in ``folded`` text."""
    for category in categories:
        for lang, pattern in _COMPILED.get(category, ()):
            match = pattern.search(folded)
            if match:
                return TopicHit(category, lang, " ".join(match.group(0).split()))
    return None
