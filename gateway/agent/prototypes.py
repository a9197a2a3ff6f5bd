"""Prototype sentences per escalation category in nine languages, matched by semantic similarity."""

from __future__ import annotations

# category -> sentences a customer might write without the detectors' keywords.
PROTOTYPES: dict[str, tuple[str, ...]] = {
    "self_harm_safety": (
        "My child touched the lamp and got a burn on her hand.",
        "I'm at the end of my rope and I don't want to be here anymore.",
        "The cable melted and there was a small fire next to the bed.",
        "I don't see the point of living anymore and I can't keep going.",
        "I want to hurt myself, I feel like ending everything.",
        "The device got very hot, started smoking and smelled like burning plastic.",
        "Sparks came out of the plug and my child got hurt.",
        "The battery swelled up and melted the casing.",
        "Ich sehe keinen Sinn mehr im Leben und kann nicht mehr weitermachen.",
        "Das Gerät wurde sehr heiß, hat geraucht und roch verbrannt.",
        "Je ne vois plus de raison de vivre, je n'en peux plus.",
        "L'appareil a chauffé, il y avait de la fumée et une odeur de brûlé.",
        "Ya no le veo sentido a la vida y no puedo seguir.",
        "El aparato se calentó mucho, salió humo y olía a quemado.",
        "Non vedo più senso nella vita, non ce la faccio più.",
        "Il dispositivo si è surriscaldato, usciva fumo e c'era odore di bruciato.",
        "Ik zie het leven niet meer zitten en kan niet meer verder.",
        "Het apparaat werd heel heet, er kwam rook uit en het rook verbrand.",
        "Não vejo mais sentido em viver e não aguento mais.",
        "O aparelho aqueceu muito, saiu fumaça e cheirava a queimado.",
        "Nie widzę już sensu życia i nie dam rady dalej.",
        "Urządzenie bardzo się nagrzało, leciał dym i czuć było spaleniznę.",
    ),
    "account_compromise": (
        "Emails are going out from my account that I never sent.",
        "A former employee still has access to our account and is downloading our files.",
        "Someone I don't know is logged into my account and I didn't do this.",
        "My recovery email was changed and I got a login alert from a place I have never been.",
        "There are projects and messages in my account that I did not create.",
        "Ein ehemaliger Mitarbeiter hat noch Zugriff auf unser Konto und lädt Dateien herunter.",
        "Jemand Fremdes ist in meinem Konto angemeldet, das war ich nicht.",
        "Un ancien employé a toujours accès à notre compte et télécharge nos fichiers.",
        "Quelqu'un d'autre utilise mon compte, ce n'est pas moi.",
        "Un antiguo empleado todavía tiene acceso a nuestra cuenta y descarga archivos.",
        "Alguien desconocido está usando mi cuenta, no fui yo.",
        "Un ex dipendente ha ancora accesso al nostro account e scarica i file.",
        "Qualcun altro sta usando il mio account, non sono stato io.",
        "Een oud-medewerker heeft nog steeds toegang tot ons account en downloadt bestanden.",
        "Iemand anders gebruikt mijn account, dat was ik niet.",
        "Um ex-funcionário ainda tem acesso à nossa conta e está baixando arquivos.",
        "Outra pessoa está usando a minha conta, não fui eu.",
        "Były pracownik nadal ma dostęp do naszego konta i pobiera pliki.",
        "Ktoś obcy korzysta z mojego konta, to nie ja.",
    ),
    "legal": (
        "We are consulting counsel about our options regarding damages.",
        "I will report your company to the consumer protection authority.",
        "We are preparing to take this matter to court.",
        "Our legal team will be in touch regarding this breach of contract.",
        "Wir werden die Sache vor Gericht bringen.",
        "Nous allons saisir la justice pour cette affaire.",
        "Vamos a llevar este asunto a los tribunales.",
        "Porteremo la questione davanti a un giudice.",
        "Wij stappen hiermee naar de rechter.",
        "Vamos levar esse caso à justiça.",
        "Skierujemy tę sprawę do sądu.",
    ),
    "data_protection": (
        "I want a copy of everything you have on file about me.",
        "Stop using my information and erase my profile from all your systems.",
        "Please tell me what personal information you hold about me and delete all of it.",
        "I object to you processing my personal data for marketing.",
        "Bitte teilen Sie mir mit, welche Daten Sie über mich speichern, und löschen Sie sie.",
        "Merci de me dire quelles informations vous conservez sur moi et de les effacer.",
        "Díganme qué información guardan sobre mí y bórrenla toda.",
        "Ditemi quali informazioni conservate su di me e cancellatele tutte.",
        "Laat me weten welke gegevens jullie over mij bewaren en verwijder ze.",
        "Informem quais informações guardam sobre mim e apaguem tudo.",
        "Proszę o informację, jakie dane o mnie przechowujecie, i ich usunięcie.",
    ),
    "payment_dispute": (
        "I told my card company this payment was not mine and they are getting it back.",
        "I am disputing this transaction with my credit card provider.",
        "I have asked my bank to get the money back for this charge.",
        "There is a charge on my card I never authorised and I want it reversed by my bank.",
        "Ich habe meine Bank gebeten, das Geld zurückzuholen.",
        "J'ai demandé à ma banque de récupérer l'argent de ce paiement.",
        "He pedido a mi banco que me devuelva el dinero de este cobro.",
        "Ho chiesto alla mia banca di riavere i soldi di questo addebito.",
        "Ik heb mijn bank gevraagd het geld terug te halen.",
        "Pedi ao meu banco para recuperar o dinheiro dessa cobrança.",
        "Poprosiłem bank o odzyskanie pieniędzy za tę płatność.",
    ),
    "security_report": (
        "Anyone can open another team's files just by guessing the link.",
        "I found a bug that lets me log in as any other user.",
        "Your API returns other customers' records if I change the ID.",
        "I found a way to see other customers' data by changing a number in the address.",
        "Your login page can be bypassed and I want to report it responsibly before publishing.",
        "Ich kann durch Ändern einer Nummer in der Adresse die Daten anderer Kunden sehen.",
        "En changeant un numéro dans l'adresse, je vois les données d'autres clients.",
        "Cambiando un número en la dirección puedo ver los datos de otros clientes.",
        "Cambiando un numero nell'indirizzo vedo i dati di altri clienti.",
        "Door een nummer in het adres te veranderen zie ik gegevens van andere klanten.",
        "Mudando um número no endereço consigo ver os dados de outros clientes.",
        "Zmieniając numer w adresie widzę dane innych klientów.",
    ),
}

# A sentence less close than TOPIC_SIMILARITY (semantic.py) still counts when it is at least
# CUED_SIMILARITY close AND carries one of its category's cues (folded text: lower case, no
# accents). The cues are what the paraphrases keep: someone else did it / still has access;
# heat, smoke, burning; no will to go on.
CUES: dict[str, str] = {
    "account_compromise": (
        r"\b(?:not me|wasn't me|wasnt me|was not me|didn't do|did not do|no fui yo|no era yo"
        r"|to nie ja|nie bylem ja|nie bylam ja|niet ik|was ik niet|pas moi|n'etait pas moi"
        r"|non sono stato|non sono stata|non ero io|nao fui eu|nao era eu|war ich nicht"
        r"|nicht ich|still (?:has|have|had|seems? to have) access|nog steeds|immer noch"
        r"|still (?:logs?|logged|logging|signs?|signed|signing) in|no longer (?:works?|working"
        r"|employed|with us)"
        r"|todavia|ancora|ainda|nadal|toujours|former|ehemalig\w*|ancien\w*|antiguo"
        r"|ex[- ]\w+|oud-\w+|byly|vertrokken|left the company)\b"
    ),
    "self_harm_safety": (
        r"\b(?:smok\w*|fum\w*|humo|rauch\w*|rook|dym\w*|fumaca|burn\w*|brul\w*|quem\w*"
        r"|bruci\w*|verbrand\w*|spalen\w*|spalil\w*|spark\w*|funken|etincel\w*|chispa\w*"
        r"|scintill\w*|vonk\w*|iskr\w*|melt\w*|smolt\w*|schmolz\w*|fondu\w*|derreti\w*"
        r"|sciolt\w*|stopil\w*|bollent\w*|rovent\w*|glühend|gluhend|end it|go on|keep going"
        r"|en finir|plus la force|weitermachen|seguir|andare avanti|verder|continuar"
        r"|dalej|vivre|leben|vivir|vivere|leven|viver|zyc)\b"
    ),
}
CUED_SIMILARITY = 0.55
