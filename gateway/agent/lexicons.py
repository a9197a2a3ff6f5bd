"""Word lists the agent reasons with: text folding, stop words and the cross-language glossary.

Everything here is written in *folded* form (see ``fold``): lower case, accents removed,
so one spelling covers "Rückerstattung", "ruckerstattung" and "RUECKERSTATTUNG" alike
(the last one only partly; "ue" spellings are listed where they are common).
"""

from __future__ import annotations

import re
import unicodedata

from stop_words import get_stop_words

from gateway.agent.glossary_more import MORE
from gateway.agent.vocabulary import VOCABULARY

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ł": "l", "Ł": "L",
                              "ø": "o", "Ø": "O", "đ": "d", "Đ": "D"})


def strip_accents(text: str) -> str:
    """Remove combining marks (é -> e, ü -> u) but keep case and ß."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Case- and accent-insensitive form used for every match: 'Größe' -> 'grosse'."""
    return strip_accents(text.casefold())


WORD = re.compile(r"[^\W_]+")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")  # Japanese/Chinese


def words(*blocks: str) -> frozenset[str]:
    """The whitespace-separated words of some text blocks, as a set."""
    return frozenset(w for block in blocks for w in block.split())


STOP_WORDS = words(
    # en: function words and the chatter of support mail
    """a about above after again all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing done down during each
    few for from further had has have having he her here hers him his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our
    ours out over own same she should so some such than that the their them then there these
    they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself get got getting want wanted
    need needs needed would like know let make made still really already yet since ago
    hi hello hey dear thanks thank thx please pls regards best cheers kind sincerely greetings
    help question questions wondering wonder tell told ask asking asked anyone someone
    morning afternoon evening today yesterday tomorrow week day days time times
    try tried trying possible okay ok sure hope one two also maybe something anything
    im ive id dont doesnt didnt cant isnt wont s t ll re ve d m don doesn didn isn won
    aren wasn weren haven hasn couldn shouldn wouldn anymore else everywhere although
    though however customer customers client clients re fw fwd aw wg tr rv sv antw""",
    # de
    """ich du er sie es wir ihr mein meine meinen meinem meiner meines mich mir dich dir
    ihnen uns unser unsere euch sein seine der die das den dem des ein eine einen einem
    einer eines und oder aber nicht kein keine keinen ist sind war waren bin bist habe hast
    hat haben hatte hatten wird werden wurde wurden kann kannst konnen konnte konnten mochte
    mochten will wollen soll sollte muss mussen darf bitte danke vielen dank hallo guten tag
    morgen abend liebe lieber sehr geehrte geehrter geehrtes damen herren grusse gruss gruessen
    freundlichen beste viele mit von vom zu zum zur fur fuer auf an am im in ins aus bei
    beim nach wie was wo wann warum weshalb ob dass wenn noch schon auch nur so da dort hier
    jetzt heute gestern mal doch ja nein sich um uber ueber unter vor seit bis durch gegen
    ohne weil mehr alle alles etwas man dies diese dieser diesem dieses diesen wieder leider
    eigentlich irgendwie gerne gern frage fragen hilfe helfen komme kommen kommt passiert
    danach gibt geht finde finden brauche brauchen immer bereits einfach genau dann denn
    also bzw usw trotzdem lang kunde kunden""",
    # fr
    """je j tu il elle on nous vous ils elles me m te se s le la les l un une des du de d
    et ou mais ne n pas plus est suis es sont ai as a avons avez ont ete etre avoir mon ma
    mes ton ta tes son sa ses notre nos votre vos leur leurs ce c cet cette ces ca qui que
    qu quoi dont comment pourquoi quand pour par sur dans en au aux avec sans sous chez
    bonjour bonsoir merci madame monsieur cordialement salutations bien svp plait puis
    pouvez peux peut pourriez pourrais voudrais veux souhaite faire fait tres aussi deja
    encore y si alors toujours hier aujourd hui question aide aider besoin quel quels
    quelle quelles faut fais rien tout tous toutes depuis jamais client clients""",
    # es
    """yo tu el ella nosotros vosotros ellos ellas me te se nos os le les lo la los las
    un una unos unas y o pero no si es soy eres son esta estoy estan estaba he has ha han
    hay mi mis tus su sus nuestro nuestra de del al a en con sin por para sobre que quien
    como cuando donde porque hola gracias saludos buenos buenas dias tardes noches estimado
    estimada estimados favor puedo puede pueden podria podrian quiero quisiera necesito
    hacer muy tambien ya todavia este esto ese esa eso hoy ayer ayuda ayudar pregunta
    cordial atentamente hago cual cuales tengo tiene tienen siempre nunca todo todos
    algo ahora cliente clientes""",
    # nl
    """ik je jij u hij zij ze we wij mijn jullie uw de het een en of maar niet geen is ben
    bent zijn was waren heb hebt heeft hebben had kan kunt kunnen kon wil wilt willen moet
    moeten zou zouden graag bedankt dank hallo goedendag goedemorgen beste groeten
    vriendelijke groet met van voor op aan in uit bij naar hoe wat waar wanneer waarom dat
    dit die deze er al nog ook om te als dan mij me ons onze gisteren vandaag vraag hulp
    lang duurt doe doen altijd nooit alles iets nu kom komen klant klanten""",
    # pt
    """eu voce ele ela nos voces eles elas me te se o a os as um uma uns umas e ou mas nao
    sim e sou sao esta estou estao tenho tem tinha meu minha meus minhas seu sua seus suas
    de do da dos das em no na nas com sem por para pelo pela que como quando onde porque
    ola obrigado obrigada bom boa dia tarde prezados prezado posso pode podem poderia
    quero queria gostaria preciso fazer muito tambem ja ainda este esta isso isto hoje
    ontem ajuda ajudar pergunta atenciosamente cumprimentos faco qual quais sempre
    nunca tudo algo agora cliente clientes""",
    # it
    """io tu lui lei noi voi loro mi ti si ci vi il lo la i gli le un uno una e o ma non
    e sono ho hai ha abbiamo avete hanno mio mia miei mie tuo tua suo sua di del dello
    della dei degli delle a al allo alla ai agli alle da dal dalla in nel nella nei con
    senza per su sul sulla che chi come quando dove perche ciao buongiorno buonasera
    grazie saluti cordiali gentile gentili posso puo potete potrei vorrei voglio devo fare
    molto anche gia ancora questo questa quello quella oggi ieri aiuto aiutare domanda
    faccio quale quali sempre mai tutto qualcosa ora adesso avete abbiamo cliente clienti""",
    # pl
    """ja ty on ona my wy oni one mnie mi sie nas was ich moj moja moje moich twoj nasz
    wasz jest sa byl byla bylo jestem mam ma maja mozna moge mozecie czy jak gdzie kiedy
    dlaczego co ktory ktora ktore i a ale lub albo nie tak w we na z ze do od po przez
    dla o przy bez pod nad za to ten ta te tego tej juz jeszcze tez takze bardzo prosze
    dziekuje dzieki dzien dobry witam pozdrawiam poważaniem powazaniem szanowni szanowny
    panstwo pan pani klient klienta""",
    # greetings, sign-offs and filler of every language (they say nothing about the topic)
    """grussen gruss gruess salve goedemiddag goedenavond saludos buongiorno cumprimentos
    powazaniem atenciosamente cordialement regards thanks thank cheers ola olá ciao
    quick question questions things thing two different long lange dura tempo vuole
    dagen tage jours dias giorni dni zuruck bekomme bekommen happen happens happened
    temps prend combien tarda demora braucht welche welcher welches duree durata duracion
    duracao duur dlugo dluga dlugi""",
)
# Countries and regions (folded; English and native names), weekdays and months in nine
# languages, and company forms (GmbH, SARL, ONG): a question that names one the KB does not
# list ("shipping to Portugal?", "the invoice for January", "our GmbH's invoices") is still
# about shipping or invoices, not about something else.
PLACES = words(
    """europe eu usa us uk america canada mexico brazil brasil australia japan china india
    germany deutschland osterreich austria schweiz switzerland suisse svizzera france
    frankreich francia franca belgium belgique belgie belgien belgio netherlands nederland
    niederlande holland spain espana spanien espagne spagna italy italia italien italie
    portugal poland polska polsce polen pologne ireland irland scotland england sweden
    sverige norway norge denmark danmark finland suomi greece czechia luxembourg london
    paris berlin madrid rome roma amsterdam lisbon lisboa warsaw warszawa vienna wien
    zurich zuerich geneva geneve genf munich munchen hamburg cologne koln frankfurt milan
    milano barcelona brussels bruxelles brussel prague praha dublin edinburgh manchester
    toronto vancouver sydney melbourne tokyo osaka
    polski polsce polske niemiec niemczech niemczy francji francje hiszpanii hiszpanie
    wloch wloszech holandii holandie portugalii portugalie europy europie austrii szwajcarii
    belgii irlandii wielkiej brytanii ameryki kanady japonii
    monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    europa eua eeuu ue emea asia africa estados unidos etats-unis vereinigte staaten
    stati uniti verenigde staten stany zjednoczone reino unido royaume-uni regno unito
    verenigd koninkrijk inglaterra angleterre inghilterra engeland anglia alemania allemagne
    germania duitsland alemanha niemcy suiza svizzera zwitserland suica szwajcaria
    oostenrijk autriche portogallo portugalia espanha spanje hiszpania frankrijk francja
    wlochy noruega norvege norvegia noorwegen norwegia norwegen argentina chile colombia
    peru
    montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi mercredi jeudi
    vendredi samedi dimanche lunes martes miercoles jueves viernes sabado domingo lunedi
    martedi mercoledi giovedi venerdi maandag dinsdag woensdag donderdag vrijdag zaterdag
    zondag segunda terca quarta quinta sexta poniedzialek wtorek sroda czwartek piatek sobota
    niedziela
    januar februar marz juni juli oktober dezember janvier fevrier mars avril mai juin
    juillet aout septembre octobre novembre decembre enero febrero marzo abril mayo junio
    julio agosto septiembre octubre noviembre diciembre gennaio febbraio aprile maggio
    giugno luglio settembre ottobre dicembre januari februari maart mei augustus
    janeiro fevereiro marco maio junho julho setembro outubro novembro dezembro styczen
    luty marzec kwiecien czerwiec lipiec sierpien wrzesien pazdziernik listopad grudzien
    stycznia lutego marca kwietnia maja czerwca lipca sierpnia wrzesnia pazdziernika
    listopada grudnia
    gmbh ag kg ug ev sarl sas sa sl srl spa bv nv vzw asbl lda ltd llc inc plc ong ngo
    lyon marseille toulouse bordeaux lille nantes nice strasbourg montpellier rennes grenoble
    utrecht rotterdam eindhoven groningen haarlem leiden maastricht antwerp antwerpen anvers
    gent ghent gand liege luik namur brugge bruges charleroi leuven louvain
    stuttgart dusseldorf dortmund essen leipzig dresden hannover nurnberg nuremberg bremen
    bonn mannheim karlsruhe freiburg augsburg graz linz salzburg innsbruck klagenfurt
    sevilla seville valencia bilbao malaga zaragoza granada alicante palma
    napoli naples torino turin bologna firenze florence genova genoa venezia venice verona
    palermo bari padova
    porto braga coimbra faro
    krakow krakowa krakowie wroclaw wroclawia wroclawiu gdansk gdanska gdansku poznan
    poznania poznaniu lodz lodzi katowice katowicach lublin lublinie szczecin szczecinie
    copenhagen kobenhavn stockholm goteborg helsinki athens budapest bucharest sofia zagreb
    ljubljana bratislava tallinn riga vilnius
    birmingham glasgow liverpool leeds bristol cardiff belfast cork galway
    boston chicago seattle austin denver atlanta miami dallas houston""",
)
# Japanese politeness and function phrases dropped before glossary lookup (substrings).
JA_FILLER = ("お世話になっております", "よろしくお願いいたします", "よろしくお願いします",
             "ありがとうございます", "教えてください")

# "How long" in other languages asks for a duration: not a price ("quanto" alone is "how
# much") and not a topic, so retrieval drops it like a stop word.
HOW_LONG = frozenset({"cuanto tiempo", "cuanto tarda", "quanto tempo", "quanto demora",
                      "combien de temps", "hoe lang", "jak dlugo", "ile czasu"})

# Cross-language glossary: folded word or phrase -> the English words the sample KB uses.
# It covers the support vocabulary of the topics a small SaaS KB has (account access,
# billing, refunds, plans, shipping, API keys, deletion, opening hours). It is a retrieval
# aid, not a translator: unknown foreign words stay as they are and lower the confidence.
GLOSSARY: dict[str, str] = {
    # pl: the support vocabulary (folded: ł -> l, no accents)
    "haslo": "password", "hasla": "password", "zresetowac": "reset", "resetowac": "reset",
    "ustawien fabrycznych": "factory settings reset", "fabryczne": "factory",
    "fabrycznych": "factory", "faktury": "invoice invoices", "faktura": "invoice",
    "fakture": "invoice", "pobrac": "download", "pobierz": "download",
    "wyeksportowac": "export", "eksport": "export", "eksportowac": "export",
    "dane": "data", "danych": "data", "konta": "account",
    "gwarancja": "warranty", "gwarancji": "warranty", "zwrot": "return refund",
    "zwrocic": "return", "dostawa": "delivery shipping", "wysylka": "shipping",
    "cena": "price", "kosztuje": "price cost", "plan": "plan", "platnosc": "payment",
    "zaplacic": "pay payment", "karta": "card", "przelew": "bank transfer",
    "subskrypcje": "subscription", "anulowac": "cancel", "zamowienie": "order",
    "zamowienia": "order", "aktualizacja": "update", "aktualizacje": "update",
    "lampa": "lamp", "lampy": "lamp", "polaczyc": "connect",
    "integracja": "integration", "dwuetapowa": "two-factor 2fa", "zadanie": "task",
    "zadania": "tasks", "usunac": "delete", "usuniete": "deleted", "przywrocic": "restore",
    # pl: signing in (Polish has no Snowball stemmer, so the common inflections are listed)
    "konto": "account", "kontem": "account", "koncie": "account", "kontu": "account",
    "zalogowac": "sign in log in", "zaloguje": "sign in log in", "logowanie": "sign in login",
    "logowania": "sign in login", "logowaniu": "sign in login", "zalogowanie": "sign in",
    "zablokowane": "locked", "zablokowany": "locked", "zablokowana": "locked",
    "zablokowac": "locked", "odblokowac": "unlock locked", "blokada": "locked",
    "prob": "attempts", "proby": "attempts", "probach": "attempts", "kod": "code",
    "kodu": "code", "uwierzytelniania": "authentication", "dodac": "add", "numer": "number",
    # "add" and "number" in the other languages
    "hinzufugen": "add", "hinterlegen": "add", "ajouter": "add", "anadir": "add",
    "agregar": "add", "aggiungere": "add", "toevoegen": "add", "voeg": "add",
    "adicionar": "add", "acrescentar": "add", "nummer": "number", "numero": "number",
    # lamp / hardware / e-commerce words in the other languages
    "lampe": "lamp", "lampada": "lamp bulb", "lampara": "lamp", "lamp": "lamp",
    "leuchtmittel": "bulb", "ampoule": "bulb", "bombilla": "bulb", "lampadina": "bulb",
    "werkseinstellungen": "factory settings", "usine": "factory", "fabrica": "factory",
    "fabbrica": "factory", "fabrieksinstellingen": "factory settings",
    "impostazioni": "settings", "parametres": "settings", "ajustes": "settings",
    "configuracion": "settings", "instellingen": "settings", "configuracoes": "settings",
    "resettare": "reset", "zuruckschicken": "return",
    "zuruckgeben": "return", "ruckgabe": "return", "ruecksendung": "return",
        "devolucion": "return",     "retourneren": "return",
    "garantie": "warranty", "garantia": "warranty", "garanzia": "warranty",
            "funciona": "works work", "funziona": "works work",
    "fonctionne": "works work", "werkt": "works work", "funcionar": "work",
    "conectar": "connect", "connettere": "connect", "collegare": "connect",
    "collego": "connect", "conecto": "connect", "verbinden": "connect", "verbinde": "connect",
    "koppelen": "connect", "integrieren": "integration",
    "aufgabe": "task", "aufgaben": "tasks", "tache": "task", "tarea": "task",
    "tarefa": "task", "compito": "task", "taak": "task", "geloschte": "deleted",
    "geloscht": "deleted", "supprime": "deleted", "wiederherstellen": "restore",
    "restaurer": "restore", "restaurar": "restore", "ripristinare": "restore",
    "miembro": "member", "membro": "member", "membre": "member",
    "mitglied": "member", "lid": "member", "cuanto": "price", "quanto": "price",
    "cuesta": "price cost", "custa": "price cost", "costa": "price cost",
    "kost": "price cost", "coute": "price cost", "kostet": "price cost",
    "betalen": "pay payment", "bankoverschrijving": "bank transfer",
    "virement": "bank transfer", "transferencia": "bank transfer",
    "bonifico": "bank transfer", "uberweisung": "bank transfer", "acceptez": "accept",
    "aceptan": "accept", "accettate": "accept", "akzeptieren": "accept",
    "tweestapsverificatie": "two-factor 2fa", "espacio de trabajo": "workspace",
    "exporto": "export", "esporto": "export", "exporteer": "export",
    "zeitplane": "schedules", "zeitplan": "schedule", "wlan": "wi-fi wifi",
    "wifi": "wi-fi", "hochladen": "upload", "fehler": "error", "erreur": "error",
    "errore": "error", "fout": "error", "erro": "error", "blad": "error",
    "archivo": "files", "archivos": "files", "fichier": "files", "fichiers": "files",
    "andere": "change", "datei": "files", "dateien": "files", "bestand": "files",
    "bestanden": "files",
    "ficheiro": "files", "arquivo": "files", "arquivos": "files", "pliki": "files",
    "rabatt": "discount", "remise": "discount", "descuento": "discount", "sconto": "discount",
    "korting": "discount", "desconto": "discount", "rabat": "discount", "割引": "discount",
    "taglich": "daily", "quotidien": "daily", "diario": "daily", "giornaliero": "daily",
    "dagelijks": "daily", "codzienny": "daily", "benachrichtigung": "notification",
    "notificacion": "notification", "notifica": "notification", "melding": "notification",
    "notificacao": "notification", "powiadomienie": "notification", "通知": "notification",
    "tastenkurzel": "shortcut", "raccourci": "shortcut", "atajo": "shortcut",
    "scorciatoia": "shortcut", "sneltoets": "shortcut", "atalho": "shortcut",
    "skrot": "shortcut", "ショートカット": "shortcut", "suche": "search",
    "recherche": "search", "busqueda": "search", "ricerca": "search", "zoeken": "search",
    "pesquisa": "search", "wyszukiwanie": "search", "検索": "search",
    "aktualisieren": "update", "mettre a jour": "update", "actualizar": "update",
    "aggiornare": "update", "bijwerken": "update", "atualizar": "update",
    "zaktualizowac": "update", "更新": "update", "descarregar": "download",
    "zusammenfassung": "digest summary", "resumen": "digest summary",
    "riepilogo": "digest summary", "samenvatting": "digest summary",
    "resumo": "digest summary", "podsumowanie": "digest summary",
    "wiederkehrend": "recurring repeat", "wiederkehrende": "recurring repeat",
    "recurrente": "recurring repeat", "ricorrente": "recurring repeat",
    "terugkerend": "recurring repeat", "terugkerende": "recurring repeat",
    "recorrente": "recurring repeat", "cykliczne": "recurring repeat",
    "modo oscuro": "dark mode", "dunkelmodus": "dark mode", "dunkler modus": "dark mode",
    "mode sombre": "dark mode", "modalita scura": "dark mode", "tema scuro": "dark mode",
    "donkere modus": "dark mode", "modo escuro": "dark mode", "tryb ciemny": "dark mode",
    "ciemny motyw": "dark mode", "ダークモード": "dark mode",
    # ja (matched as substrings, folded: NFKD drops the dakuten of kana)
    "返品": "return", "返金": "refund", "保証": "warranty", "配送": "shipping delivery",
    "発送": "shipping", "料金": "price plan", "価格": "price", "請求書": "invoice",
    "領収書": "receipt", "ハスワート": "password", "リセット": "reset",
    "初期化": "reset factory settings", "接続": "connect", "連携": "integration connect",
    "アカウント": "account", "削除": "delete", "エクスホート": "export",
    "フラン": "plan", "支払い": "payment", "カート": "card", "解約": "cancel",
    "ランフ": "lamp", "電球": "bulb", "アッフテート": "update", "タスク": "task",
    "二段階認証": "two-factor 2fa", "エラー": "error", "支払い方法": "payment methods",
    # password, sign-in, 2FA
    "passwort": "password", "kennwort": "password", "mot de passe": "password",
    "mdp": "password", "contrasena": "password", "wachtwoord": "password",
    "senha": "password", "parola d'ordine": "password",
    "zurucksetzen": "reset", "zuruecksetzen": "reset", "reinitialiser": "reset",
    "reinitialisation": "reset", "restablecer": "reset", "restablecimiento": "reset",
    "resetten": "reset", "redefinir": "reset", "redefinicao": "reset",
    "reimpostare": "reset", "reimpostazione": "reset", "recuperar": "reset",
    "recuperare": "reset", "herstellen": "reset",
    "vergessen": "forgot", "oublie": "forgot", "olvide": "forgot", "olvidado": "forgot",
    "vergeten": "forgot", "esqueci": "forgot", "esqueceu": "forgot", "dimenticato": "forgot",
    "anmelden": "sign in", "einloggen": "log in", "anmeldung": "sign in",
    "connecter": "log in", "connexion": "log in", "iniciar sesion": "log in",
    "acceder": "log in", "inloggen": "log in", "acessar": "log in", "entrar": "log in",
    "accedere": "log in", "accesso": "log in",
    "zwei-faktor": "two-factor 2fa", "zwei faktor": "two-factor 2fa",
    "authentifizierung": "authentication", "authentification": "authentication",
    "autenticacion": "authentication", "authenticatie": "authentication",
    "autenticacao": "authentication", "autenticazione": "authentication",
    "double authentification": "two-factor 2fa", "dos factores": "two-factor 2fa",
    "handy": "phone", "telefon": "phone", "telephone": "phone", "telefono": "phone",
    "telefoon": "phone", "telefone": "phone", "movil": "phone", "celular": "phone",
    "verloren": "lost", "perdu": "lost", "perdi": "lost", "perdido": "lost",
    "kwijt": "lost", "perso": "lost",
    "gesperrt": "locked", "bloque": "locked", "bloqueada": "locked", "bloqueado": "locked",
    "geblokkeerd": "locked", "bloccato": "locked", "bloccata": "locked",
    "benutzerkonto": "account", "compte": "account", "cuenta": "account",
    "conta": "account",
    "neu": "new", "neue": "new", "neuen": "new", "nouveau": "new", "nouvelle": "new",
    "nuevo": "new", "nueva": "new", "nieuw": "new", "nieuwe": "new", "novo": "new",
    "nova": "new", "nuovo": "new", "nuova": "new",
    # email, address, company
    "e-mail": "email", "courriel": "email", "correo": "email", "mail": "email",
    "e-mailadres": "email address", "adresse": "address", "direccion": "address",
    "adres": "address", "endereco": "address", "indirizzo": "address",
    "spam": "spam", "ankommen": "arrive", "angekommen": "arrive", "recu": "arrive",
    "llegado": "arrive", "llega": "arrive", "ontvangen": "arrive", "chegou": "arrive",
    "arrivato": "arrive", "arrivata": "arrive",
    "firma": "company", "firmenname": "company name", "entreprise": "company",
    "societe": "company", "empresa": "company", "bedrijf": "company", "azienda": "company",
    # deletion, export
    "loschen": "delete", "loeschen": "delete", "loschung": "delete", "supprimer": "delete",
    "suppression": "delete", "eliminar": "delete", "borrar": "delete",
    "verwijderen": "delete", "excluir": "delete", "apagar": "delete",
    "eliminare": "delete", "cancellare": "delete", "cancellazione": "delete",
    "exportieren": "export", "exporter": "export", "exportar": "export",
    "exporteren": "export", "esportare": "export",
    "daten": "data", "donnees": "data", "datos": "data", "gegevens": "data",
    "dados": "data", "dati": "data",
    # billing
    "rechnung": "invoice", "facture": "invoice", "factura": "invoice",
    "factuur": "invoice", "fatura": "invoice", "fattura": "invoice",
    "quittung": "receipt", "recu de paiement": "receipt", "recibo": "receipt",
    "herunterladen": "download", "telecharger": "download", "descargar": "download",
    "downloaden": "download", "baixar": "download", "scaricare": "download",
    "abgebucht": "charged", "abbuchung": "charge", "prelevement": "charge",
    "preleve": "charged", "debite": "charged", "cobro": "charge", "cobrado": "charged",
    "cargo": "charge", "afgeschreven": "charged", "cobranca": "charge",
    "addebito": "charge", "addebitato": "charged",
    "zahlung": "payment", "bezahlt": "paid", "paiement": "payment", "pago": "payment",
    "betaling": "payment", "pagamento": "payment",
    "doppelt": "twice duplicate", "zweimal": "twice", "deux fois": "twice",
    "dos veces": "twice", "duplicado": "duplicate", "twee keer": "twice",
    "dubbel": "twice duplicate", "duas vezes": "twice", "duplicada": "duplicate",
    "due volte": "twice", "doppio": "twice duplicate",
    "kreditkarte": "credit card", "karte": "card", "carte bancaire": "card",
    "carte": "card", "tarjeta": "card", "creditcard": "credit card", "kaart": "card",
    "cartao": "card", "carta di credito": "credit card",
    "fehlgeschlagen": "failed", "echoue": "failed", "refuse": "declined",
    "rechazado": "declined", "rechazada": "declined", "fallido": "failed",
    "mislukt": "failed", "recusado": "declined", "falhou": "failed",
    "rifiutato": "declined", "fallito": "failed",
    "mwst": "vat", "mehrwertsteuer": "vat", "umsatzsteuer": "vat", "ust-idnr": "vat",
    "tva": "vat", "iva": "vat", "btw": "vat",
    # refunds
    "ruckerstattung": "refund", "rueckerstattung": "refund", "erstattung": "refund",
    "zuruckerstatten": "refund", "erstatten": "refund", "remboursement": "refund",
    "rembourser": "refund", "rembourse": "refund", "reembolso": "refund",
    "reembolsar": "refund", "terugbetaling": "refund", "restitutie": "refund",
    "terugbetalen": "refund", "devolucao": "refund", "rimborso": "refund",
    "rimborsare": "refund",
    "geld": "money", "argent": "money", "dinero": "money", "dinheiro": "money",
    "soldi": "money",
    # plans and subscriptions
    "abo": "subscription", "abonnement": "subscription", "suscripcion": "subscription",
    "assinatura": "subscription", "abbonamento": "subscription",
    "kundigen": "cancel", "kuendigen": "cancel", "kundigung": "cancel",
    "stornieren": "cancel", "resilier": "cancel", "resiliation": "cancel",
    "annuler": "cancel", "cancelar": "cancel", "cancelacion": "cancel",
    "dar de baja": "cancel", "opzeggen": "cancel", "annuleren": "cancel",
    "cancelamento": "cancel", "disdire": "cancel", "disdetta": "cancel",
    "annullare": "cancel",
    "jahrlich": "yearly", "jahresabo": "yearly subscription", "annuel": "yearly",
    "annuelle": "yearly", "anual": "yearly", "jaarlijks": "yearly", "jaarabonnement":
    "yearly subscription", "annuale": "yearly", "monatlich": "monthly", "mensuel": "monthly",
    "mensuelle": "monthly", "mensual": "monthly", "maandelijks": "monthly", "mensal": "monthly",
    "mensile": "monthly", "paye": "paid", "pagado": "paid", "betaald": "paid",
    "pagato": "paid",
    "tarif": "plan", "tarifs": "plan", "forfait": "plan", "plano": "plan", "piano": "plan",
    "preis": "price", "preise": "price", "kosten": "price", "prix": "price",
    "precio": "price", "prijs": "price", "preco": "price", "prezzo": "price", "costo": "price",
    # en: how customers ask for a price when the KB says "Price"
    "how much": "price", "cost": "cost price", "pricing": "price",
    "andern": "change", "aendern": "change", "wechseln": "change", "changer": "change",
    "modifier": "change", "cambiar": "change", "wijzigen": "change",
    "veranderen": "change", "alterar": "change", "mudar": "change", "cambiare": "change",
    "modificare": "change",
    "testphase": "trial", "testversion": "trial", "essai": "trial", "prueba": "trial",
    "proefperiode": "trial", "periodo de teste": "trial", "prova": "trial",
    "benutzer": "users", "nutzer": "users", "utilisateurs": "users", "usuarios": "users",
    "gebruikers": "users", "utilizadores": "users", "utenti": "users",
    "speicherplatz": "storage", "speicher": "storage", "stockage": "storage",
    "almacenamiento": "storage", "opslag": "storage", "armazenamento": "storage",
    "archiviazione": "storage",
    # shipping, orders, hardware
    "versand": "shipping", "versandkosten": "shipping costs", "lieferung": "delivery",
    "lieferzeit": "delivery times", "liefern": "delivery", "livraison": "delivery",
    "expedition": "shipping", "livrer": "delivery", "envio": "shipping",
    "entrega": "delivery", "verzending": "shipping", "levering": "delivery",
    "bezorging": "delivery", "frete": "shipping", "spedizione": "shipping",
    "consegna": "delivery",
    "bestellung": "order", "bestellt": "order", "commande": "order", "pedido": "order",
    "bestelling": "order", "besteld": "order", "encomenda": "order", "ordine": "order",
    "sendungsverfolgung": "tracking", "sendungsnummer": "tracking number",
    "suivi": "tracking", "seguimiento": "tracking", "rastrear": "tracking",
    "rastreio": "tracking", "rastreamento": "tracking", "tracciamento": "tracking",
    "paket": "package", "colis": "package", "paquete": "package", "pakket": "package",
    "pacote": "package", "pacco": "package",
    "beschadigt": "damaged", "endommage": "damaged", "abime": "damaged",
    "danado": "damaged", "beschadigd": "damaged", "danificado": "damaged",
    "danneggiato": "damaged",
    "verspatet": "late", "retard": "late", "retraso": "late", "vertraagd": "late",
    "atrasado": "late", "atraso": "late", "ritardo": "late",
    "rucksendung": "returns return", "zurucksenden": "return", "retour": "return",
    "retourner": "return", "devolver": "return", "terugsturen": "return",
    "reso": "return", "restituire": "return",
    "lieferadresse": "shipping address",
    # API keys
    "schlussel": "key", "schluessel": "key", "cle": "key", "clave": "key", "llave": "key",
    "sleutel": "key", "chave": "key", "chiave": "key",
    "erstellen": "create", "anlegen": "create", "creer": "create", "crear": "create",
    "generar": "create", "aanmaken": "create", "criar": "create", "gerar": "create",
    "creare": "create", "generare": "create",
    "widerrufen": "revoke", "revoquer": "revoke", "revocar": "revoke",
    "intrekken": "revoke", "revogar": "revoke", "revocare": "revoke",
    "limite": "limit", "limiet": "limit",
    # opening hours, support channels
    "offnungszeiten": "business hours", "oeffnungszeiten": "business hours",
    "geschaftszeiten": "business hours", "erreichbar": "hours", "uhrzeit": "hours",
    "horaires": "hours", "heures": "hours", "ouvert": "open", "horario": "hours",
    "horarios": "hours", "abierto": "open", "openingstijden": "business hours",
    "bereikbaar": "hours", "orari": "hours", "orario": "hours", "aperto": "open",
    "wochenende": "weekend", "samstag": "weekend", "samedi": "weekend",
    "week-end": "weekend", "sabado": "weekend", "fin de semana": "weekend",
    "zaterdag": "weekend", "sabato": "weekend",
    "atencion al cliente": "support", "servicio al cliente": "support",
    "kundendienst": "support", "kundenservice": "support", "assistance": "support",
    "service client": "support", "soporte": "support", "klantenservice": "support",
    "suporte": "support", "assistenza": "support", "atendimento": "support",
    "antwortzeit": "response times", "reponse": "response", "respuesta": "response",
    "antwoord": "response", "resposta": "response", "risposta": "response",
    "storung": "outage incident", "panne": "outage", "caida": "outage",
    "storing": "outage", "interruzione": "outage",
    # language names (a question about the interface language names one); not the ones
    # whose stem is a country's ("italiano" ~ "Italia", "polski" ~ "Polska")
    "nederlands": "dutch", "niederlandisch": "dutch", "neerlandais": "dutch",
    "holandes": "dutch", "olandese": "dutch", "holenderski": "dutch", "オランダ語": "dutch",
    "deutsch": "german", "allemand": "german", "aleman": "german", "tedesco": "german",
    "duits": "german", "alemao": "german", "niemiecki": "german", "ドイツ語": "german",
    "francais": "french", "franzosisch": "french", "frances": "french", "francese": "french",
    "frans": "french", "francuski": "french", "フランス語": "french",
    "espanol": "spanish", "spanisch": "spanish", "espagnol": "spanish", "spagnolo": "spanish",
    "spaans": "spanish", "hiszpanski": "spanish", "スペイン語": "spanish",
    "italienisch": "italian", "italiaans": "italian", "wloski": "italian",
    "イタリア語": "italian",
    "portugues": "portuguese", "portugiesisch": "portuguese", "portugais": "portuguese",
    "portoghese": "portuguese", "portugees": "portuguese", "portugalski": "portuguese",
    "polnisch": "polish", "polonais": "polish", "polaco": "polish",
    "polacco": "polish", "pools": "polish", "ポーランド語": "polish",
    "japanisch": "japanese", "japonais": "japanese", "japones": "japanese",
    "giapponese": "japanese", "japans": "japanese", "japonski": "japanese", "日本語": "japanese",
    "englisch": "english", "anglais": "english", "ingles": "english", "inglese": "english",
    "engels": "english", "angielski": "english", "英語": "english",
}
# The general supplementary glossary (gateway/agent/glossary_more.py): everyday support
# and product words of seven languages, with their inflected forms written out, so they are
# matched exactly (retrieval._translate), not by stem or affix like the entries above; the
# hand-made entries win on a shared key.
# The everyday vocabulary of eight languages (gateway/agent/vocabulary/) adds the words
# of daily life customers write around their question ("despertador", "pieniądze"); a key
# that is itself an English word of any glossary ("app", "status") is left out, so an
# English mail is never "translated".
ENGLISH_WORDS = frozenset(w for table in (GLOSSARY, MORE, VOCABULARY)
                     for english in table.values() for w in english.split())
EVERYDAY_WORDS: dict[str, str] = {
    **{k: v for k, v in VOCABULARY.items() if k not in ENGLISH_WORDS and k not in STOP_WORDS},
    **MORE,
}
EVERYDAY_WORDS = {k: v for k, v in EVERYDAY_WORDS.items() if k not in GLOSSARY}


# The maintained stop-word lists of the `stop-words` package for the seven other
# languages: function words the hand-made STOP_WORDS missed ("welchem", "jako",
# "podemos") are not counted as words the KB lacks when deciding that a foreign question
# is about something else (builtin.unknown_focus). Glossary words ("cuenta", "essai") and
# words that are content in support mail are not function words.
_CONTENT_IN_SUPPORT_MAIL = frozenset({"usa", "pro", "due", "go"})
FUNCTION_WORDS = STOP_WORDS | frozenset(
    fold(w) for lang in ("german", "french", "spanish", "italian", "dutch", "portuguese",
                         "polish")
    for w in get_stop_words(lang)
) - _CONTENT_IN_SUPPORT_MAIL - frozenset(GLOSSARY)
