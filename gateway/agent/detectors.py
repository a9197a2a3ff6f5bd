"""Built-in escalation detectors: topics a person must handle, in nine languages, with evidence.

Each detector is a category (legal, data_protection, payment_dispute, account_compromise,
security_report, self_harm_safety) with regular expressions per language, run on folded
text (lower case, accents removed: see ``lexicons.fold``). A hit returns the category, the
language of the pattern and the matched words, so every escalation shows *why*.

Japanese has no spaces, so its patterns are plain substrings (folded the same way as the
text: NFKD drops the dakuten of kana, on both sides).
"""

from __future__ import annotations

import itertools
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
            r"\barbitration\b|\blegal representative\b|\b(?:outside|external) counsel\b"
            r"|\b(?:in )?breach of (?:the |our )?(?:contract|(?:service )?agreement)\b"
            r"|\bseek(?:ing)? damages\b|\bclaim(?:ing)? damages\b|\btrading standards\b"
            r"|\bformal notice\b",
        ),
        "de": (
            r"\b(?:rechts)?anwalt\w*|\banwaltlich\w*|\banwaltin\w*",
            r"\b(?:klage|klagen|verklage\w*|einklagen)\b|\bgericht(?:lich\w*|e|s)?\b",
            r"\brechtliche\w* (?:schritte|konsequenzen)\b|\bmahnbescheid\b|\babmahnung\b"
            r"|\brechtsabteilung\b|\bvorladung\b",
            r"\bschlichtung\w*|\bschadensersatz\w*|\bvertragsbruch\b|\bverbraucherzentrale\b",
        ),
        "fr": (
            r"\bavocat\w*|\bpoursuites?\b|\bpoursuivre\b|\btribunal\b|\bjustice\b",
            r"\bmise en demeure\b|\bassignation\b|\bcontentieux\b|\bporter plainte\b"
            r"|\bdeposer (?:une )?plainte\b",
            r"\barbitrage\b|\bdommages(?: et)? interets\b|\brupture de contrat\b"
            r"|\bassociation de consommateurs\b|\bun juriste\b",
        ),
        "es": (
            r"\babogad[oa]s?\b|\bdemanda(?:r|remos|re|ré)?\b|\btribunal(?:es)?\b|\bjuzgado\b",
            r"\b(?:acciones|medidas) (?:legales|judiciales)\b|\bvia judicial\b"
            r"|\bdenuncia(?:r|re)?\b|\bburofax\b",
            r"\barbitraje\b|\bdanos y perjuicios\b|\bincumplimiento (?:de|del) contrato\b"
            r"|\basociacion de consumidores\b",
        ),
        "it": (
            r"\bavvocat\w+|\bazion[ei] legal[ei]\b|\bvie legali\b|\bufficio legale\b",
            r"\bfare causa\b|\bfaro causa\b|\bdiffida\b|\btribunale\b|\bdenuncia\w*"
            r"|\bin giudizio\b",
            r"\b(?:un|al|il|mio|nostro) legale\b|\bassociazion\w* (?:dei|di) consumatori\b"
            r"|\barbitrato\b|\brisarcimento\b",
        ),
        "nl": (
            r"\badvoca(?:at|ten)\b|\brechtszaak\b|\brechter\b|\brechtbank\b|\bdagvaarding\b",
            r"\bjuridische stappen\b|\bingebrekestelling\b|\baangifte doen\b|\baanklacht\b",
            r"\bschadevergoeding\b|\bcontractbreuk\b|\bgeschillencommissie\b",
        ),
        "pt": (
            r"\badvogad[oa]s?\b|\bprocess(?:ar|o judicial|arei|aremos)\b|\btribunal\b",
            r"\b(?:acao|medidas) (?:judicial|judiciais|legal|legais)\b|\bprocon\b"
            r"|\bnotificacao extrajudicial\b|\bna justica\b",
            r"\ba justica\b|\barbitragem\b|\bindemni[sz]acao\b|\bindenizacao\b",
        ),
        "pl": (
            r"\bprawnik\w*|\badwokat\w*|\bpozew\b|\bpozwe\w*|\bpozwac\b"
            r"|\bradca prawn\w+",
            r"\b(?:do|w) sadzie\b|\bdo sadu\b|\bsadow\w+|\bkroki prawne\b"
            r"|\bwezwanie do zaplaty\b|\bkancelari\w+",
            r"\barbitraz\w*|\bodszkodowan\w*|\brzecznik\w* (?:praw )?konsument\w*",
        ),
        "ja": ("弁護士", "訴訟", "訴え", "裁判", "法的措置", "法的手段", "内容証明", "提訴",
               "損害賠償", "契約違反"),
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
            # a hazard: sparks, smoke, melting, a burning smell, an electric jolt
            r"\bspark(?:s|ing|ed)\b|\bmelt(?:ed|ing|s)\b|\bsmok(?:e|ing|ed|y)\b(?! test)"
            r"|\bburning smell\b|\bsmell\w* (?:like |of )?burn\w*|\boverheat\w*"
            r"|\b(?:gave|give|gives|giving|got|get|gets|getting) (?:\w+ ){0,2}(?:a )?(?:\w+ )?"
            r"(?:shock|jolt)\b",
            # despair: not a topic for an AI, however it is worded
            r"\bbetter off without me\b|\b(?:don't|do not|can't|cannot) see (?:the|any) point"
            r" (?:of|in) (?:anything|living|going on|it all|life)\b|\bcan'?t keep going\b"
            r"|\bcannot keep going\b|\bcan'?t take (?:it|this) any ?more\b"
            r"|\b(?:don't|do not) want to (?:live|be here|wake up|go on)\b",
        ),
        "de": (
            r"\bsuizid\w*|\bselbstmord\w*|\bumbringen\b|\bnicht mehr leben\b"
            r"|\bdas leben nehmen\b",
            r"\bverletzt\b|\bverbrannt\b|\bstromschlag\b|\bfeuer gefangen\b|\bin brand geraten\b"
            r"|\bexplodiert\b",
            r"\b(?:mich|sich)(?: \w+){0,3} geschnitten\b|\b(?:finger|hand|daumen) geschnitten\b"
            r"|\bschnittwunde\w*|\bblut(?:et|ete|ung\w*)\b|\bgenaht\b"
            r"|\bim krankenhaus\b|\bins krankenhaus\b|\bnotaufnahme\b",
            r"\bqualm\w*|\brauch(?:t|te|en)?\b|\bverschmort\w*|\bgeschmolzen\b|\bschmor\w*"
            r"|\bbrandgeruch\b|\briecht verbrannt\b|\bfunken\b|\beine gewischt\b",
            r"\bwill nicht mehr (?:leben|weiterleben)\b|\bkeinen sinn mehr\b",
        ),
        "fr": (
            r"\bsuicid\w+|\bme tuer\b|\ben finir\b|\bplus envie de vivre\b",
            # "l'écran me brûle les yeux" is a figure of speech, not a burn
            r"\bblesse(?:e|s|es)?\b|\bbrule\w*+(?! (?:les|mes|nos) yeux)|\bpris feu\b"
            r"|\belectrocut\w+|\bexplose\b",
            r"\b(?:je me suis|il s'est|elle s'est|s'est) coupee?\b|\bsaign\w+|\bpoints de suture\b"
            r"|\ba l'hopital\b|\baux urgences\b",
            r"\bfumee\b|\betincelle\w*|\bfondu\b|\bodeur de brule\b|\bdecharge electrique\b",
            r"\bje ne veux plus vivre\b|\ba quoi bon vivre\b",
        ),
        "es": (
            r"\bsuicid\w+|\bquitarme la vida\b|\bmatarme\b|\bno quiero vivir\b",
            r"\bherid[oa]s?\b|\bquemadura\w*|\bse incendio\b|\bdescarga electrica\b"
            r"|\bexploto\b",
            r"\bme (?:corte|he cortado)\b|\bse corto\b|\bsangr\w+|\bpuntos de sutura\b"
            r"|\bal hospital\b|\ben urgencias\b|\ba urgencias\b",
            r"\bhumo\b|\bchispa\w*|\bderriti\w*|\bolor a quemado\b|\bcalambre\b",
            r"\bno quiero seguir viviendo\b|\bpara que seguir\b|\bya no (?:puedo|quiero) seguir\b",
        ),
        "it": (
            r"\bsuicid\w+|\btogliermi la vita\b|\buccidermi\b|\bnon voglio piu vivere\b",
            r"\bferit[oa]\b|\bustion\w+|\bpreso fuoco\b|\bscossa elettrica\b|\besploso\b",
            r"\bmi sono tagliat[oa]\b|\bsi e tagliat[oa]\b|\bsanguin\w+|\bpunti di sutura\b"
            r"|\bin ospedale\b|\bal pronto soccorso\b",
            r"\bfumo\b|\bscintill\w*|\bsciolt[oa]\b|\bodore di bruciato\b|\bla scossa\b",
            r"\bnon ha piu senso vivere\b",
        ),
        "nl": (
            r"\bzelfmoord\w*|\bsuicid\w*|\bmezelf (?:iets )?aandoen\b|\bniet meer leven\b",
            r"\bgewond\b|\bverbrand\b|\bvlam gevat\b|\belektrische schok\b|\bontploft\b",
            r"\b(?:me|mezelf|zich)(?: \w+){0,3} gesneden\b|\b(?:vinger|hand|duim) gesneden\b"
            r"|\bbloed(?:de|t|en)\b|\bhechting\w*|\bnaar het ziekenhuis\b"
            r"|\bin het ziekenhuis\b|\bspoedeisende hulp\b",
            r"\brook\b|\bvonk\w*|\bgesmolten\b|\bbrandlucht\b|\bschok gekregen\b",
            r"\bwil niet meer leven\b|\bheeft (?:allemaal )?geen zin meer\b",
        ),
        "pt": (
            r"\bsuicid\w+|\bme matar\b|\btirar (?:a )?minha (?:propria )?vida\b"
            r"|\bnao quero mais viver\b",
            r"\bferid[oa]\b|\bqueimadura\w*|\bpegou fogo\b|\bchoque eletrico\b|\bexplodiu\b",
            r"\bme cortei\b|\bcortou (?:a|o|minha|meu)\b|\bsangr\w+|\bpontos de sutura\b"
            r"|\bao hospital\b|\bno hospital\b|\bnas urgencias\b",
            r"\bfumo\b|\bfumaca\b|\bfaisca\w*|\bderret\w*|\bcheiro (?:a|de) queimado\b"
            r"|\bum choque\b",
            r"\bnao aguento mais viver\b|\bsem razao para viver\b",
        ),
        "pl": (
            r"\bsamobojstw\w*|\bzabic sie\b|\bodebrac sobie zycie\b|\bnie chce (?:juz )?zyc\b",
            r"\branny\b|\bpoparz\w+|\bzapalil\w* sie\b|\bsie zapalil\w*"
            r"|\bporazen\w* pradem\b|\bwybuchl\w*",
            r"\bskaleczyl\w*|\bkrwaw\w+|\bszwy\b|\bszpital\w*",
            r"\bdym\w*|\biskr\w*|\bstopil\w*|\bspalenizn\w*|\bkopnal\w* (?:mnie )?prad\w*"
            r"|\bpogotowi\w*|\bwbil\w* (?:mi )?sie\b",
            r"\bnie widze sensu\b",
        ),
        "ja": ("死にたい", "自殺", "消えたい", "生きていけない", "怪我", "けか", "発火",
               "火事", "感電", "やけと", "爆発", "出血", "血か出", "縫", "病院に", "救急",
               "煙", "火花", "溶け", "焦け", "生きる意味", "生きていたくない"),
    },
}

# Everyday wording of the same topics, kept apart from the first lists: consumer bodies a
# customer threatens to go to, asking the bank to take a payment back, erasure and objection
# in plain words, script injection described rather than named, shocks and burns in
# colloquial speech, despair without the usual words.
EVERYDAY: dict[str, dict[str, tuple[str, ...]]] = {
    "legal": {
        "en": (r"\btrading standards\b|\bconsumer (?:ombudsman|protection (?:agency|office"
               r"|authority)|rights (?:agency|body))\b|\bombudsman\b|\bsmall claims\b",),
        "de": (r"schlichtungsstelle\b|\bverbraucherschutz\w*|\brechtlich prufen\b",),
        "fr": (r"\bdgccrf\b|\bmediateur de la consommation\b|\bsignal ?conso\b"
               r"|\bconciliateur de justice\b",),
        "es": (r"\bhojas? de reclamaciones?\b|\boficina (?:municipal )?(?:de|del) consumidor\b"
               r"|\bomic\b|\bjunta arbitral\b|\b(?:reclamacion|denuncia) (?:en|ante) consumo\b",),
        "it": (r"\bagcm\b|\bgiudice di pace\b|\bconciliazione paritetica\b",),
        "nl": (r"\bgeschillencommissie\b|\bconsumentenbond\b|\bautoriteit consument\w*",),
        "pt": (r"\blivro de reclamacoes\b|\bdeco\b|\bjulgado de paz\b|\bprocon\b",),
        "pl": (r"\buokik\b|\binspekcj\w* handlow\w*",),
        "ja": ("消費生活センター", "消費者センター", "国民生活センター", "消費者庁"),
    },
    "data_protection": {
        "en": (r"\b(?:delete|erase|remove)\w* (?:all |everything )?(?:(?:the )?(?:data|information)"
               r" )?(?:you (?:hold|have|keep|store) )?(?:about|on) me\b"
               r"|\b(?:stop|cease) (?:using|processing) my (?:personal )?data\b",),
        "de": (r"\bzu meiner person gespeichert\w*|\b(?:samtliche|alle) (?:meine )?(?:uber mich"
               r" )?gespeicherten daten\b",),
        "fr": (r"\bm'oppose au traitement\b|\bsupprimer (?:toutes )?mes donnees\b",),
        "es": (r"\bme opongo al tratamiento\b|\b(?:borren|eliminen|supriman) (?:todos )?mis"
               r" datos\b",),
        "it": (r"\bmi oppongo al trattamento\b|\b(?:cancellate|eliminate) (?:tutti )?i miei"
               r" dati\b",),
        "nl": (r"\balles wat (?:jullie|u) (?:van|over) mij (?:heeft|hebben|weten)\b"
               r"|\buit (?:jullie|uw) systemen (?:halen|verwijderen)\b",),
        "pt": (r"\bme oponho ao tratamento\b|\b(?:apaguem|eliminem) (?:todos )?os meus dados\b",),
        "pl": (r"\bnie zgadzam sie na (?:wykorzystywanie|przetwarzanie)\b"
               r"|\bzaprzesta\w* (?:ich |moich danych )?przetwarzania\b",),
    },
    "payment_dispute": {
        "en": (r"\b(?:asked|told|had|got) (?:the|my|our) (?:bank|card (?:issuer|company))"
               r" (?:to )?(?:pull|claw|take|reverse)\w*",),
        "fr": (r"\b(?:rejeter|rejete|refuser|bloquer) (?:le|ce) (?:dernier )?prelevement\b",),
        "nl": (r"\bcreditcardmaatschappij\b[^.?!\n]{0,60}\bterug\w*",),
    },
    "account_compromise": {
        "en": (r"\bnobody (?:here|on our (?:side|team)) (?:made|did|changed|added|knows|uses"
               r"|recogni[sz]es)\b|\b(?:admin|member|user)s? (?:that |whom |who )?(?:we|nobody)"
               r" (?:do not|don't|does not|doesn't)? ?(?:recogni[sz]e|knows?)\b",),
        "de": (r"\b(?:anmeldung|login|zugriff)\w*[^.?!\n]{0,60}\b(?:nie war|nie gewesen|niemand"
               r" (?:bei|von) uns)\b|\bden (?:kennt|kennen) (?:keiner|niemand)\b"
               r"|\b(?:admin\w*|owner|nutzer|benutzer|mitglied)\b[^.?!\n]{0,40}\b(?:den|die)"
               r" (?:keiner|niemand) (?:von uns |bei uns )?kennt\b",),
        "fr": (r"\bconnexion\w*[^.?!\n]{0,60}\bjamais (?:ete|allee?s?)\b"
               r"|\b(?:admin\w*|proprietaire|utilisateur|membre) (?:que|dont) personne ne"
               r" (?:connait|sait)\b",),
        "it": (r"\baccess\w*[^.?!\n]{0,80}\bmai stat[oa]\b"
               r"|\b(?:admin\w*|amministrator\w*|utente|proprietario) che nessuno (?:di noi )?"
               r"conosce\b",),
        "es": (r"\b(?:admin\w*|administrador\w*|usuario|propietario) que nadie (?:de nosotros )?"
               r"conoce\b",),
        "nl": (r"\b(?:admin\w*|beheerder|gebruiker|eigenaar) die (?:niemand|geen van ons)"
               r" kent\b",),
        "pt": (r"\b(?:admin\w*|administrador\w*|utilizador|usuario|proprietario) que ninguem"
               r" conhece\b",),
        "pl": (r"\b(?:admin\w*|administrator\w*|uzytkownik\w*|wlasciciel\w*),? (?:ktorego|ktora)"
               r" nikt (?:z nas )?nie zna\b",),
    },
    "security_report": {
        "en": (r"\b(?:runs?|executes?|execut\w+|running) (?:arbitrary )?(?:javascript|js)\b"
               r"|\b(?:runs?|executes?|execut\w+) (?:arbitrary|malicious|injected) (?:scripts?"
               r"|code)\b|\bonerror\b|\bpen ?test\w*|\bpenetration test\w*"
               r"|\bdisclos\w* (?:it |this )?responsibly\b|\bresponsible disclosure\b"
               r"|\b(?:was|were) never invited to\b|\bbelong to (?:a |an )?(?:different|another"
               r"|other) (?:organi[sz]ation|company|customer|client)\b",),
        "fr": (r"\bprojets? d'autres clients\b",),
        "pt": (r"\bficheiros de outra empresa\b|\barquivos de outra empresa\b",),
    },
    "self_harm_safety": {
        "en": (r"\b(?:a |small |deep |nasty )?cuts? on (?:my|his|her|our|their) (?:hand|finger"
               r"|arm|leg|foot|face)s?\b|\bglass all over\b|\bburst with a (?:loud )?(?:pop|bang)\b"
               r"|\bblister\w*|\bplastick?y smell\b|\bsmell\w* (?:like|of) hot plastic\b"
               r"|\bhot plastic smell\b|\bway out any ?more\b|\bno way out\b"
               r"|\b(?:don't|do not) know how (?:i'm|i am) (?:supposed to )?"
               r"(?:keep going|go on)\b",),
        "de": (r"\b(?:einen|nen|ein) (?:ordentlichen |kraftigen |heftigen )?(?:schlag|gewischt)"
               r"\b|\bkeinen ausweg\b|\b(?:fur immer|am liebsten) verschwinden\b",),
        "fr": (r"\bje ne vois (?:plus )?(?:d'issue|aucune issue)\b|\benvie de disparaitre\b",),
        "es": (r"\bno (?:quiero|puedo) seguir viviendo\b|\bno veo (?:ninguna )?salida\b"
               r"|\b(?:seria mejor|quisiera|quiero) desaparecer\b|\bdesaparecer para siempre\b",),
        "it": (r"\bscottat\w*|\bvescic\w*|\bfarla finita\b|\bnon vedo (?:una )?via d'uscita\b"
               r"|\b(?:meglio|vorrei) sparire\b|\bsparire per sempre\b",),
        "nl": (r"\bgeen uitweg\b|\bniet meer (?:verder )?(?:leven|willen leven)\b",),
        "pt": (r"\bcontinuar a viver\b|\bnao vejo saida\b|\bvontade de viver\b"
               r"|\b(?:era melhor|queria|quero) desaparecer\b|\bdesaparecer de vez\b",),
        "pl": (r"\bnie widze wyjscia\b|\bnie chce (?:juz )?zyc\b|\bchcial(?:bym|abym) zniknac\b",),
        "ja": ("消えてしまいたい", "いなくなりたい"),
    },
}

# Plainer wording still, added round by round from blind sets fresh22-fresh42 (each rule
# found on one, rephrased in the tests): how customers who have never heard the terms put
# the same topics (a bank "taking the payment back", "faire opposition", a number changed
# in a URL to see other people's files, "what do you have on me", a stranger's device in
# the app, an ex who still has my password, despair said in passing).
PLAIN: dict[str, dict[str, tuple[str, ...]]] = {
    "data_protection": {
        "en": (r"\b(?:what|which) (?:personal )?(?:data|information|info) (?:do |does )?(?:you"
               r"|your company) (?:have|hold|keep|store)\w* (?:on|about|of) (?:me|us)\b",
               r"\b(?:information|data) (?:you (?:hold|have|keep) )?(?:on|about) me (?:is "
               r"|be )?(?:wiped|deleted|erased|removed|purged)\b",
               r"\b(?:get rid of|wipe|wiped|purge|purged) (?:every"
               r"|all) (?:\w+ )?(?:of )?(?:the )?(?:information|data|info)\b|\b(?:information"
               r"|data) about me (?:is |be )?(?:wiped|deleted|erased|removed|purged)\b",),
        "de": (r"\b(?:welche|was fur) daten (?:haben|speichern) sie (?:eigentlich )?(?:von"
               r"|uber) mir\b|\balles uber mich (?:vergesst|vergessen|loscht|loschen)\b",
               r"\b(?:angaben|daten|informationen) zu meiner person\b",
               r"\buber meine person gespeichert\w*",),
        "fr": (r"\b(?:tout ce que|ce que) vous (?:avez|gardez|conservez|savez) sur (?:moi|nous)\b"
               r"|\bquelles (?:donnees|informations) vous (?:avez|detenez|gardez) sur moi\b",
               r"\b(?:tout ce que|ce que) vous (?:conservez|gardez|avez|savez) (?:a mon sujet"
               r"|de moi)\b",
               r"\bcesser toute utilisation de mes donnees\b"
               r"|\bne souhaite pas que mes (?:informations|donnees)\b",),
        "es": (r"\b(?:que|cuales) datos (?:tienen|guardan|tenéis|teneis) (?:de|sobre) mi\b"
               r"|\b(?:no quiero|no autorizo) que (?:usen|utilicen) mis datos\b",
               r"\bque informacion mia\b|\binformacion mia (?:que )?(?:tienen|teneis|guardan)\b",),
        "it": (r"\b(?:quali|che) (?:dati|informazioni) (?:avete|conservate) su di me\b"
               r"|\bnon (?:voglio|autorizzo) che (?:usiate|utilizziate) i miei dati\b",),
        "nl": (r"\bwelke gegevens (?:hebben|bewaren) (?:jullie|u) (?:eigenlijk )?(?:van"
               r"|over) mij\b|\bwil niet dat (?:jullie|u) mijn gegevens gebruik\w*",),
        "pt": (r"\b(?:que|quais) dados (?:voces|vocês|tem|têm|possuem)\w* (?:de|sobre) mim\b"
               r"|\bnao autorizo (?:voces |a empresa )?a usar (?:os )?meus dados\b",),
        "pl": (r"\bjakie (?:dane|informacje) (?:macie|przechowujecie) (?:o mnie|na moj temat)\b"
               r"|\bwszystko,? co macie na moj temat\b",
               r"\b(?:wymazanie|usuniecie|skasowanie) (?:wszystkich )?(?:informacji|danych)\b"
               r"|\bo mojej osobie\b",),
        "ja": ("どんな情報を持って",
               "どのような情報を持って",
               "私の情報を削除",
               "個人情報を削除",),
    },
    "payment_dispute": {
        "en": (r"\b(?:asked|told|had|got) (?:the |my |our )?(?:amex|american express|visa"
               r"|mastercard|paypal) (?:to )?(?:pull|claw|take|reverse|dispute|refund)\w*",
               r"\b(?:flagged|reported|disputed) (?:the |a |this |that )?(?:\w+ )?(?:charge"
               r"|payment|transaction) (?:with|to) (?:my|our|the) (?:bank|card issuer"
               r"|card company)\b|\b(?:charge|payment|transaction)\w* as fraud\b",
               r"\bdisputed (?:it |the charge |this |that )?with (?:amex|american express|visa"
               r"|mastercard|paypal|my bank|the bank|my card)\b",),
        "de": (r"\b(?:zuruckbuchen|zuruckgehen|zuruckholen|zuruckrufen) lassen\b"
               r"|\brucklastschrift\w*|\bruckbuchung\w*",),
        "fr": (r"\b(?:fait|faire|formule) (?:une )?opposition\b",),
        "es": (r"\b(?:pedi|he pedido|reclame|he reclamado) al banco\b"
               r"|\bel banco (?:me )?(?:devolvio|ha devuelto|anulo)\b",
               r"\b(?:mi banco|el banco)\b[^.?!\n]{0,30}\bdevuelva\w*",
               r"\b(?:abierto|abri|abrir) una disputa\b|\b(?:mi banco"
               r"|el banco)\b[^.?!\n]{0,40}\banulen\b",
               r"\b(?:mi banco|el banco|la tarjeta)\b[^.?!\n]{0,40}\b(?:me )?devuelvan\b",),
        "it": (r"\b(?:ho chiesto|chiedero) (?:alla|alla mia) banca di (?:stornare|annullare"
               r"|bloccare)\b|\bstorno\b",
               r"\b(?:contestato|contestare|contesto) con la (?:mia )?banca\b",
               r"\bcontestat\w*[^.?!\n]{0,40}\bcon la (?:mia )?banca\b",),
        "nl": (r"\b(?:laten )?terugboeken\b|\bteruggeboekt\b|\bterugboeking\b",
               r"\b(?:mijn|de) bank\b[^.?!\n]{0,60}\bterug te (?:draaien|boeken|halen)\b",),
        "pt": (r"\bestorno\b|\bcontestei (?:a|o|esta|este) (?:cobranca|pagamento|compra)\b"
               r"|\bpedi ao (?:meu )?banco\b",),
        "pl": (r"\bbank oddal\w*|\b(?:w banku|do banku)\b[^.?!\n]{0,40}\b(?:zwrot\w*|reklamacj\w*)"
               r"|\breklamacj\w* (?:w|do) bank\w*|\bw banku reklamacj\w*|\bchargeback\w*"
               r"|\bzglosil\w* (?:ja |go )?jako nieautoryzowan\w*",),
        "ja": ("カード会社に連絡",
               "チャージバック",
               "支払いを取り消",),
    },
    "account_compromise": {
        "en": (r"\b(?:e-?mail(?: address)?|password|phone number) (?:on|of|for) (?:my"
               r"|our) account (?:had been|has been|was) changed\b",
               r"\b(?:someone|a person|a user|a device|a phone) (?:that |who )?(?:i|we) (?:don't"
               r"|do not) (?:know|recogni[sz]e)\b|\bstill (?:logs?|logging|signs?"
               r"|signing) in\w*\b[^.?!\n]{0,60}\b(?:left|fired|former|old agency|ex-)",
               r"\bmy ex(?:-\w+)? (?:still )?(?:knows|has) my password\b",),
        "de": (r"\b(?:jemand(?:en)?|eine person|ein (?:handy|gerat)),? (?:den|die|das) (?:ich"
               r"|wir) nicht kenn\w*",
               r"\b(?:das )?war(?:en)? (?:ich|wir|sie|er) (?:das )?(?:definitiv |sicher |bestimmt "
               r"|ganz sicher )?nicht\b|\bin dem (?:ich|wir|sie|er) noch nie war\b",
               r"\bich war (?:noch )?nie dort\b"
               r"|\bmein ex (?:kennt|hat) (?:noch )?mein passwort\b",),
        "fr": (r"\b(?:connexion\w*|connecte\w*)[^.?!\n]{0,60}\bjamais (?:ete|allee?s?)\b",
               r"\bquelqu'un que (?:je|nous) ne (?:connais|connaissons) pas\b|\b(?:un"
               r"|une) (?:appareil|telephone|personne) que je ne connais pas\b",
               r"\bmon ex (?:connait|a) (?:encore )?mon mot de passe\b",
               r"\bje n'ai jamais ete (?:au|en|a|aux)\b",),
        "es": (r"\b(?:alguien|una persona|un (?:movil|telefono|dispositivo)) que no (?:conozco"
               r"|conocemos|reconozco)\b|\bque despedimos\b[^.?!\n]{0,40}\bsigue\b",
               r"\bmi ex (?:todavia |aun )?(?:sabe|tiene) mi contrasena\b"
               r"|\bde mi cuenta se habia cambiado\b",
               r"\b(?:el correo|la contrasena|el email) de mi cuenta se (?:cambio|ha cambiado)\b"
               r"|\byo no (?:toque|cambie|hice) nada\b",),
        "it": (r"\b(?:qualcuno|una persona|un (?:telefono|dispositivo)) che non (?:conosco"
               r"|conosciamo|riconosco)\b",
               r"\bil mio ex (?:sa|ha) (?:ancora )?la (?:mia )?password\b"
               r"|\bnessuno di noi ha (?:creato|aggiunto|autorizzato)\b",),
        "nl": (r"\b(?:iemand|een persoon|een (?:telefoon|apparaat)) die (?:ik|we|wij) niet (?:ken"
               r"|kennen|herken)\w*",
               r"\bmijn ex (?:weet|heeft) (?:nog )?mijn wachtwoord\b",),
        "pt": (r"\b(?:alguem|uma pessoa|um (?:telemovel|celular|aparelho"
               r"|dispositivo)) que (?:eu )?nao (?:conheco|conhecemos|reconheco)\b",
               r"\bo meu ex (?:ainda )?(?:sabe|tem) a minha (?:palavra-passe|senha)\b"
               r"|\bmeu ex (?:ainda )?(?:sabe|tem) minha senha\b",),
        "pl": (r"\bobc\w+ (?:osob\w*|telefon\w*|urzadzeni\w*)|\bnikogo (?:takiego )?nie dodawal\w*"
               r"|\bnikt z nas nie (?:tworzyl|utworzyl|dodal|dodawal|zmienial|zmienil)\w*",
               r"\bmoj (?:byly|eks) (?:nadal )?zna moje haslo\b|\bprzej(?:ac|al|ela"
               r"|eli)\w* (?:moje |nasze )?konto\b",),
        "ja": ("知らない人",
               "知らない端末",
               "身に覚えのないログイン",),
    },
    "security_report": {
        "en": (r"\b(?:change|changing|changed|edit|tweak)\w* (?:the |a )?(?:number|digits?"
               r"|id) (?:at the end |in the )?(?:of )?(?:the )?(?:url|link|address)\b",
               r"\banyone could (?:forge|spoof|impersonate|fake)\b|\b(?:a "
               r"|the )?(?:security )?flaw on your side\b"
               r"|\bkept working\b[^.?!\n]{0,40}\b(?:revoked|after)\b",
               r"\bshows? up in (?:the )?(?:google |search )+results\b|\bmixing (?:tenants"
               r"|customers|accounts)\b|\bfor projects that are not ours\b|\bshows? up in (?:a "
               r"|the )?(?:public )?search engine\b",
               r"\bchanged the last (?:few )?(?:digits|characters|numbers)\b|\b(?:contains|exposes"
               r"|leaks) (?:what looks like )?a (?:working|valid"
               r"|live) (?:internal )?(?:api )?(?:token|key)\b",
               r"\b(?:change|changing|changed|edit|tweak)\w* (?:the |a )?\w+ (?:number"
               r"|id) in the (?:url|link|address)\b|\b(?:invoice|invoices|files?|documents?) (?:of"
               r"|from|belonging to) (?:a |an )?(?:completely |totally )?(?:different|another"
               r"|other) (?:company|customer|business)\b",),
        "de": (r"\b(?:hinten|am ende) (?:die )?(?:zahl|nummer|ziffer)\w* (?:andere|andert"
               r"|andern)\b|\b(?:zahl|nummer) (?:im|in der) (?:link|url|adresse)\w*",
               r"\bjavascript\b[^.?!\n]{0,60}\bausgefuhrt\b",
               r"\bnie eingeladen (?:wurde|worden)\b|\brechnung\w* (?:einer"
               r"|von einer) (?:ganz )?anderen firma\b",),
        "fr": (r"\b(?:change|modifie)\w* (?:le )?(?:numero|chiffre)\w* (?:a la fin )?(?:de"
               r"|dans) (?:l'url|le lien|l'adresse)\b",
               r"\bfactures? d'une (?:tout )?autre (?:entreprise|societe)\b"
               r"|\bjamais ete invitee?\b",),
        "es": (r"\b(?:cambio|cambia|cambias|cambiar)\w* (?:el |un par de )?(?:numero|numeros"
               r"|digitos?)\b[^.?!\n]{0,40}\b(?:url|enlace|link|direccion)\b",
               r"\bfacturas? de otra empresa\b|\bnunca (?:fue|fui) invitad[oa]\b",),
        "it": (r"\b(?:cambio|cambiando|modifico|modificando) (?:il )?(?:numero"
               r"|numeri)\b[^.?!\n]{0,40}\b(?:url|link|indirizzo)\b",
               r"\bfattur\w* di un'altra (?:azienda|societa)\b|\bmai stat[oa] invitat[oa]\b",),
        "nl": (r"\b(?:verander|wijzig|aanpas)\w* (?:het )?(?:nummer"
               r"|cijfer)\w*\b[^.?!\n]{0,40}\b(?:url|link|adres)\b",
               r"\blampen van (?:mijn|de) buren\b|\bdatalek\b|\bflink lek\b",
               r"\bfactu\w* van (?:een )?(?:heel |totaal )?ander bedrijf\b|\bnooit uitgenodigd\b",),
        "pt": (r"\b(?:mudo|mudar|altero|alterar|troco|trocar) (?:o )?(?:numero"
               r"|numeros)\b[^.?!\n]{0,40}\b(?:url|link|endereco)\b",
               r"\bfaturas? de outra empresa\b|\bnunca (?:foi|fui) convidad[oa]\b",),
        "pl": (r"\b(?:zmienie|zmienic|zmieniam|zmieniajac) (?:numer|cyfr\w*"
               r"|liczb\w*)\b[^.?!\n]{0,40}\b(?:url|link\w*|adres\w*)\b",
               r"\bwpisac skrypt\b|\bskrypt\w*[^.?!\n]{0,40}\bwykonuje sie\b"
               r"|\bfirmy,? ktorej (?:w ogole )?nie znam\b",
               r"\bfaktur\w* innej firmy\b|\beksport innej firmy\b",),
        "ja": ("URLの最後",
               "他の人のファイル",
               "別の会社の",
               "他社のファイル",
               "欠陥",
               "暗号化されずに",
               "URLの末尾",
               "関係のない会社",
               "知らない会社",
               "別の会社の請求書",
               "他社の請求書",),
    },
    "self_harm_safety": {
        "en": (r"\bburnt[- ]plastic\b|\btoo hot to touch\b|\btingl\w* in (?:my|her|his"
               r"|our) (?:fingers|hand)\b",
               r"\b(?:just )?want to disappear\b|\bwhy i (?:even )?bother with anything\b"
               r"|\bcan'?t see the point in (?:any of it|anything|much)\b",
               r"\bburning plastic\b|\b(?:thin )?wisp of smoke\b|\bthin wisp\b",
               r"\bburnt smell\b|\bbrown mark\b|\bscorch\w*",),
        "de": (r"\bals ob strom\b|\bstrom (?:durchgeht|durchging|abbekommen)\b"
               r"|\bin den fingern gezwickt\b",
               r"\bweiss (?:nicht|nicht mehr),? wofur ich (?:das alles )?(?:noch )?(?:mache"
               r"|lebe)\b|\bnicht mehr aufwachen\b",
               r"\bgekribbelt\b|\bkribbel\w* in den fingern\b",),
        "fr": (r"\bne plus me reveiller\b|\bje ne sais (?:plus )?(?:pas )?pourquoi je continue\b",
               r"\bpicotements? dans les doigts\b",
               r"\b(?:pris|prend|recu) une (?:decharge|chataigne|secousse)\b",),
        "es": (r"\bno se para que sigo\b|\bmejor no despertar(?:me)?\b|\bacabar con todo\b",
               r"\bno quiero seguir aqui\b",
               r"\bhormigueo en los dedos\b|\bcalambrazo\b",
               r"\bme (?:dio|ha dado|da) (?:la )?corriente\b|\bme dio un calambre\b",),
        "it": (r"\bnon so (?:piu )?perche vado avanti\b|\bnon svegliarmi piu\b",
               r"\bformicolio (?:alle|nelle) dita\b",),
        "nl": (r"\bniet meer wakker (?:te )?worden\b|\bweet niet waarom ik nog doorga\b",
               r"\bkreeg ik een (?:flinke |harde )?(?:tik|schok|opdoffer)\b|\btintel\w*",
               r"\bik kreeg een (?:flinke |harde |elektrische )?(?:tik|schok)\b",
               r"\btinteling\w* in (?:mijn|haar|zijn) vingers\b",),
        "pt": (r"\bacabar com tudo\b|\bnao acordar mais\b|\bnao sei porque continuo\b",
               r"\bnao sei para que continuar\b|\bnao tenho forcas para nada\b"
               r"|\bnao vejo sentido em nada\b|\bera melhor nao estar (?:ca|aqui)\b",
               r"\bnem com a minha vida\b|\brazao para continuar\b",
               r"\bformigueiro nos dedos\b|\bnao estar (?:mais )?aqui\b|\bcontinuar vivendo\b",),
        "pl": (r"\bskonczyc z tym wszystkim\b|\bnie obudzic sie\b",
               r"\bmrowieni\w* w palcach\b",
               # round 23: a shock in plain words ("mnie kopnęło, ręka jeszcze mrowi")
               r"\b(?:mnie|ja|go|nas) kopn(?:elo|al|ela|ie)\b|\bkopn(?:elo|al|ela) (?:mnie|ja|go)\b"
               r"|\breka (?:mi |jej |mu )?(?:jeszcze |dalej |caly czas )?mrowi\b",),
        "ja": ("死にたい",
               "生きている意味",
               "消えたい",
               "生きていても仕方ない",
               "もう何もかも嫌",
               "ビリッと",
               "ビリビリ",),
    },
    "legal": {
        "en": (r"\bformal proceedings\b|\bour (?:legal )?counsel\b|\bpreserve all logs\b",),
        "es": (r"\boficina de consumo\b",),
    },
}

for _category, _by_lang in (*EVERYDAY.items(), *PLAIN.items()):
    for _lang, _patterns in _by_lang.items():
        TOPIC_PATTERNS[_category][_lang] = (*TOPIC_PATTERNS[_category].get(_lang, ()),
                                            *_patterns)

CATEGORIES = tuple(TOPIC_PATTERNS)

# Concepts that must meet in one sentence, each a small multilingual word class, instead
# of one fixed phrase: a disowned action ("none of us added", "ce n'est pas moi") next to
# an account event ("session", "mot de passe") is account compromise however it is
# worded. Folded forms; Japanese alternatives are folded at compile time (they are
# written with their dakuten here and folded like the text).
_ME = (r"(?:\babout me\b|\bme personally\b|\bmy personal\b|\buber mich\b"
       r"|\bsur moi\b|\bme concernant\b|\bsobre mi\b|\bsobre mim\b|\bsu di me\b"
       r"|\bche mi riguard\w+|\bover mij\b|\bvan mij\b|\bo mnie\b|\bmoich danych\b"
       r"|私に関|私の個人)")
_KEEP = (r"(?:\b(?:hold|holds|store|stores|stored|keep|keeps|kept|process|processes"
         r"|processing|share|shared|collect\w*|gespeichert\w*|speicher\w*|verarbeit\w*"
         r"|conserve\w*|stocke\w*|detene\w*|guarda\w*|tienen|almacena\w*|conservat\w*"
         r"|memorizzat\w*|bewaren|bewaart|opgeslagen|verwerken|przechowuj\w*|przetwarza\w*"
         r"|armazena\w*|possuem|tratam)\b|保存|保管|保有)")
_DISOWN = (r"(?:\b(?:i|we) (?:did not|didn't|never|have not|haven't) (?:add|added|install"
           r"|installed|authori[sz]e|authori[sz]ed|create|created|request|requested)\b"
           r"|\b(?:i|we) didn't do (?:this|that|it)\b|\bnone of us (?:did|added|created"
           r"|installed|own|owns|recogni[sz]e\w*|know\w*|made|authori[sz]ed)\b|\bnot me\b"
           r"|\bwasn't me\b|\bwas not me\b|\bi never did (?:that|this|it)\b|\bnone of us changed\b"
           r"|\byo no (?:he|hemos) sido\b|\bniet van mij is\b|\bik heb dat (?:zelf )?niet gedaan\b"
           r"|\bi was (?:asleep|sleeping)\b|\byo estaba durmiendo\b|\bich habe geschlafen\b"
           r"|\bje dormais\b|\bstavo dormendo\b|\bik sliep\b|\bspal(?:em|am)\b"
           r"|\bdas habe ich nicht (?:geandert|gemacht)\b|\bi did not do (?:this|that|it)\b"
           r"|\bi (?:definitely )?didn't change (?:it|that|this)\b"
           r"|\bdat heb ik (?:helemaal |zelf )?niet gedaan\b"
           r"|\bwe don't recogni[sz]e\b|\bi don't recogni[sz]e\b"
           r"|\bnever been to\b|\bwar(?:en)? (?:ich|wir) nicht\b|\bce n'(?:est|etait) pas moi\b"
           r"|\b(?:keiner|niemand) (?:von|aus) uns\b|\bnone of us invited\b"
           r"|\bno (?:he|hemos) sido (?:yo|nosotros)\b|\bno fui yo\b|\bnon sono stat[oa] io\b"
           r"|\b(?:was|ben) ik (?:het )?niet\b|\bnao fui eu\b|\bto nie (?:ja|bylem|bylam)\b"
           r"|身に覚え|私ではありません|勝手に|知らないうちに|見覚えのない|心当たりのない)")
_ACCOUNT_EVENT = (r"(?:\b(?:log ?in|login|logins|sign-?in|signed in|logged in|session|device"
                  r"|password|recovery|email address|e-mail|access|integration|installed"
                  r"|api keys?|anmeldung|eingeloggt|angemeldet|passwort|gerat|zugriff|connexion"
                  r"|connecte|mot de passe|appareil|sesion|contrasena|dispositivo|acceso|accesso"
                  r"|inloggen|ingelogd|wachtwoord|apparaat|toegang|login|senha|recuperacao"
                  r"|acesso|logowanie|zalogowal\w*|haslo|hasla|urzadzeni\w+|dostep|owner"
                  r"|eingeladen|invited|workspace|profile|profil|arbeitsbereich|espace de travail"
                  r"|tweestapsverificatie|two-factor|2fa|zwei-faktor\w*|e-?mailadres|inlog\w*"
                  r"|e-mail-adresse|chiavi api"
                  r"|espacio de trabajo|area di lavoro|werkruimte|espaco de trabalho)\b"
                  r"|ログイン|パスワード|アカウント|認証|電話番号"
                  r"|メールアドレス)")
_SOMEONE = (r"(?:\b(?:someone|somebody|a stranger|jemand|quelqu'un|alguien|qualcuno|iemand"
            r"|alguem|ktos)\b(?! (?:\w+ )?(?:from|of|on|at|in) your| de (?:su|vuestro|votre"
            r"|vos|chez vous)| (?:von|aus|bei) (?:ihnen|ihrem|ihrer|euch|eurem)| del vostro"
            r"| van (?:jullie|uw)| da (?:vossa|sua)| z (?:waszego|panstwa))|誰か)")
# (not "someone from your team": the support side asked to help, "could someone from your
# team reset my password?", is not a stranger)
_CHANGED = (r"(?:\b(?:changed|reset|geandert|zuruckgesetzt|change|modifie|cambiado|cambio"
            r"|cambiato|modificato|gewijzigd|veranderd|mudou|alterou|zmienil\w*)\b|変更)")
_CREDENTIAL = (r"(?:\b(?:password|recovery (?:e-?mail|address|phone)|login e-?mail|passwort"
               r"|correo de la cuenta|e-?mail (?:address )?(?:of|on) (?:the|my|our) account"
               r"|mot de passe|contrasena|clave|wachtwoord|senha|e-mail de recuperacao|haslo"
               r"|adresse e-?mail de (?:mon|notre) compte|e-?mail-adresse (?:meines|unseres)"
               r" kontos|indirizzo e-?mail del (?:mio |nostro )?account|e-?mailadres van"
               r" (?:mijn|ons) account|e-?mail da (?:minha |nossa )?conta|adres e-?mail"
               r" (?:mojego |naszego )?konta|correo de mi cuenta"
               r"|hasla)\b|パスワード)")
_BANK = (r"(?:\b(?:my|our) (?:bank|card issuer|card company|credit card company|credit card"
         r" provider)\b|\bkreditkarten(?:firma|unternehmen|institut|gesellschaft)\b"
         r"|\b(?:meine|meiner|unsere|unserer) bank\b|\bma banque\b|\bnotre banque\b"
         r"|\bmi banco\b|\bnuestro banco\b|\bla mia banca\b|\bmijn bank\b|\bonze bank\b"
         r"|\bo meu banco\b|\bmeu banco\b|\bw (?:moim )?banku\b|私の銀行|カード会社)")
_REVERSE = (r"(?:\b(?:claw\w* back|reverse\w*|revers\w*|dispute\w*|charge"
            r" back|pull the payment|beanstand\w*|reklamier\w*|widerspr\w*|zuruckgeholt"
            r"|zuruckzuholen|zuruckholen"
            r"|zuruckbuch\w*|annuler|annule|contester|conteste|anular|anulado|reclamado"
            r"|revocar|annullare|annullato|terugdraaien|teruggedraaid|terugvorderen|cancelar"
            r"|cancelou|cofna\w*|cofnal|anulowa\w*)\b|取り消|返金請求)")
_UNKNOWN_CHARGE = (r"(?:\bne (?:le |la )?reconnais pas\b|\bdon't recogni[sz]e\b|\bdo not"
                   r" recogni[sz]e\b|\bnie (?:byla|byl|bylo) (?:przeze mnie )?autoryzowan\w*"
                   r"|\bno reconozco\b|\bnon riconosco\b|\bherken (?:ik )?niet\b|\breconnais pas\b"
                   r"|\bniet herken\w*|\bno reconocemos\b"
                   r"|\bnie rozpoznaj\w*|\bunauthori[sz]ed\b|\bnieautoryzowan\w*"
                   r"|\bnao reconheco\b|\berkenne (?:ich )?nicht\b|身に覚えのない)")
_PAYMENT = (r"(?:\b(?:payment|charge|debit|transaction|paiement|prelevement|pago|cargo"
            r"|pagamento|addebito|betaling|afschrijving|cobranca|platnos\w*|transakcj\w*"
            r"|zahlung|abbuchung|lastschrift)\b|支払|請求|引き落とし)")
_OTHER_TENANT = (r"(?:\b(?:workspaces?|accounts?|projects?|files?) (?:that are |which are"
                 r" )?not (?:mine|ours)\b|\b(?:een )?andere workspace\b|\bevery project in"
                 r" our workspace\b"
                 r"|\b(?:another|other|someone else's|a different) (?:company|companies"
                 r"|customer|customers|user|users|workspace|workspaces|tenant|tenants|account"
                 r"|accounts|client|clients)(?:'s|s'|s)?\b|\bd'autres (?:clients|utilisateurs"
                 r"|entreprises)\b|\bander(?:e|er|en) (?:kunden|nutzer|firmen|workspaces)\b"
                 r"|\botros (?:clientes|usuarios)\b|\baltri (?:clienti|utenti)\b"
                 r"|\bandere (?:klanten|gebruikers)\b|\boutros (?:clientes|usuarios)\b"
                 r"|\binnych (?:klientow|uzytkownikow)\b|他社|他のユーザー"
                 r"|\b(?:other|another) (?:people|person)(?:'s)?\b|\bd'autres personnes\b"
                 r"|\bander(?:e|en) (?:leute|personen|menschen)\b|\botras (?:empresas|personas)\b"
                 r"|\baltre (?:aziende|persone)\b|\bandere (?:bedrijven|mensen)\b"
                 r"|\boutras (?:empresas|pessoas)\b|\binnych (?:firm|osob|ludzi)\b"
                 r"|\binnej firmy\b|\bcudz\w+|\bun'altra azienda\b|\botra empresa\b"
                 r"|\bune autre entreprise\b|\beiner anderen firma\b|\bander bedrijf\b"
                 r"|\boutra empresa\b|他の人|別の会社)")
_EXPOSED = (r"(?:\b(?:lets me|let me|allows me|i can|i could|i was able to|returns|exposes"
            r"|receives|kon ik|ik kon|i opened|i could open|i downloaded"
            r"|leaks|shows me|gives me|me permet|erlaubt mir|kann ich|me permite|puedo|mi"
            r" permette|posso|kan ik|consigo|moge|i see|i can see|sehe ich|ich sehe|je vois"
            r"|veo|vedo|zie ik|ik zie|vejo|widze|salen|appear|erscheinen|apparaissent"
            r"|aparecen|compaiono|verschijnen|aparecem|mozna pobrac|da sie pobrac|aperti"
            r"|si sono aperti|se abrieron|receiving|received|j'ai pu|j'arrive a|pude|ho potuto"
            r"|consegui|udalo mi sie|se abren)\b|見え|閲覧|開けて)")
_ATTACK = (r"(?:\b(?:url|urls|id|ids|parameter|cursor|endpoint|request|requests|api|header"
           r"|increment\w*|sequential|guess\w*|op te hogen|ophogen|personal token"
           r"|token|tamper\w*|iterat\w*|enumerat\w*|chang\w*|modif\w*|manipul\w*"
           r"|ander\w*|cambi\w*|wijzig\w*|alter\w*|zmien\w*|link|enlace|lien)\b|ＵＲＬ|url|変え)")
_IN_CLEAR = (r"(?:\b(?:in )?(?:plain ?text|clear ?text|unencrypted|en clair|im klartext"
             r"|unverschlusselt|sin cifrar|en texto plano|in chiaro|onversleuteld"
             r"|sem criptografia|em texto simples|niezaszyfrowan\w*|jawnym tekstem"
             r"|platte tekst)\b|平文|暗号化されておらず|暗号化されていない)")
_SECRET = (r"(?:\b(?:passwords?|tokens?|keys?|credentials|mot de passe|passwort|contrasena"
           r"|wachtwoord|senha|haslo)\b|パスワード)")
_SENDS = (r"(?:\b(?:sends?|sent|sending|stores?|stored|transmit\w*|envoie|envoyes?|sendet"
          r"|gesendet|speichert|gespeichert|envia|enviada|invia|inviata|salvat\w*|verstuurt"
          r"|verzonden|opgeslagen|wysyla|zapisuje|armazena)\b|送信|保存)")
_NO_AUTH = (r"(?:\bwithout (?:any )?authentication\b|\bno authentication\b"
            r"|\bsans (?:aucune )?authentification\b"
            r"|\bohne (?:jede )?authentifizierung\b|\bsin (?:ninguna )?autenticacion\b"
            r"|\bsenza (?:alcuna )?autenticazione\b|\bzonder (?:enige )?authenticatie\b"
            r"|\bsem (?:nenhuma )?autenticacao\b|\bbez (?:zadnego )?uwierzytelniania\b|認証なし"
            r"|\bwithout (?:any )?(?:confirmation|pin|password)\b"
            r"|\bbez (?:zadnego )?logowania\b)")
_ANYONE = (r"(?:\b(?:anyone|anybody|any device|any phone|the network|accepts|jeder|jedem"
           r"|n'importe qui"
           r"|cualquiera|chiunque|iedereen|qualquer|kazdy)\b|誰でも)")
_DISCLOSE = (r"(?:\bcoordinate (?:the )?disclosure\b|\bbefore (?:i |we )?(?:publish\w*|going"
             r" public|disclos\w*)\b|\bavant de (?:publier|divulguer)\b|\bvor der"
             r" veroffentlichung\b|\bantes de (?:publicar|divulgar)\b|\bprima di pubblicare\b"
             r"|\bvoor (?:publicatie|ik het publiceer)\b|\bprzed publikacja\b|公開する前)")

CONCEPTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "data_protection": ((_ME, _KEEP),),
    "payment_dispute": ((_BANK, _REVERSE), (_UNKNOWN_CHARGE, _PAYMENT)),
    "account_compromise": ((_DISOWN, _ACCOUNT_EVENT), (_SOMEONE, _CHANGED, _CREDENTIAL)),
    "security_report": ((_OTHER_TENANT, _EXPOSED, _ATTACK), (_IN_CLEAR, _SECRET, _SENDS),
                        (_NO_AUTH, _ANYONE), (_DISCLOSE,)),
}


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


_CONCEPTS: dict[str, list[tuple[re.Pattern[str], ...]]] = {
    category: [tuple(re.compile(fold(c)) for c in group) for group in groups]
    for category, groups in CONCEPTS.items()
}
_SENTENCE = re.compile(r"[^.?!\n。！？]+")


def concepts(folded: str, category: str) -> str | None:
    """'A … B' when every concept of one of the category's groups occurs in one sentence
    or two adjacent ones ("I see sign-ins from Singapore. That wasn't me.")."""
    sentences = _SENTENCE.findall(folded)
    windows = [*sentences, *(f"{a} {b}" for a, b in itertools.pairwise(sentences))]
    for sentence in windows:
        for group in _CONCEPTS.get(category, ()):
            found = []
            for concept in group:
                match = concept.search(sentence)
                if match is None:
                    break
                found.append(" ".join(match.group(0).split()))
            else:
                return " … ".join(dict.fromkeys(found))
    return None


def detect_topic(folded: str, categories: tuple[str, ...] = CATEGORIES) -> TopicHit | None:
    """The first category (in CATEGORIES order) whose pattern or concept pair occurs."""
    for category in categories:
        for lang, pattern in _COMPILED.get(category, ()):
            match = pattern.search(folded)
            if match:
                return TopicHit(category, lang, " ".join(match.group(0).split()))
        if found := concepts(folded, category):
            return TopicHit(category, "concepts", found)
    return None
