"""Built-in escalation detectors fire in each language, and stay quiet on plain questions."""

from __future__ import annotations

import pytest

from gateway.agent.detectors import detect_topic
from gateway.agent.lexicons import fold
from gateway.agent.policy import asks_for_human

TOPICS = [
    ("legal", "Our solicitor will be in touch about the unpaid credit."),
    ("legal", "Wenn das nicht geklärt wird, schalte ich meinen Anwalt ein."),
    ("legal", "Sans réponse, je saisirai le tribunal."),
    ("legal", "Mi abogado ya tiene toda la documentación."),
    ("legal", "Ho già contattato un avvocato."),
    ("legal", "Ik neem juridische stappen als dit niet wordt opgelost."),
    ("legal", "Vou processar a empresa se isto continuar."),
    ("legal", "Sprawa trafi do sądu, pozew jest gotowy."),
    ("legal", "このままでは弁護士に相談します。"),
    ("data_protection", "Under GDPR I request a copy of all data you hold about me."),
    ("data_protection", "Ich verlange Auskunft über meine gespeicherten Daten nach Art. 15 DSGVO."),
    ("data_protection", "J'exerce mon droit à l'effacement de mes données personnelles."),
    ("data_protection", "Solicito ejercer mi derecho de supresión."),
    ("data_protection", "Chiedo la cancellazione dei miei dati personali."),
    ("data_protection", "Ik dien hierbij een inzageverzoek in voor mijn persoonsgegevens."),
    ("data_protection", "Peço a eliminação dos meus dados pessoais ao abrigo do RGPD."),
    ("data_protection", "Na podstawie RODO proszę o usunięcie moich danych osobowych."),
    ("data_protection", "個人情報の開示請求をします。"),
    ("payment_dispute", "I have filed a chargeback with my card issuer."),
    ("payment_dispute", "Ich habe die Lastschrift bei meiner Bank zurückgehen lassen."),
    ("payment_dispute", "Je vais contester ce prélèvement auprès de ma banque."),
    ("payment_dispute", "Voy a disputar el cargo con mi banco."),
    ("payment_dispute", "Ho chiesto lo storno alla mia banca."),
    ("payment_dispute", "Ik heb de betaling laten terugboeken."),
    ("payment_dispute", "Vou pedir o estorno no cartão."),
    ("payment_dispute", "Złożyłem reklamację w banku, to nieautoryzowana transakcja."),
    ("payment_dispute", "カード会社にチャージバックを申請しました。"),
    ("account_compromise", "I think my account was hacked last night."),
    ("account_compromise", "Jemand hat sich gestern in mein Konto eingeloggt."),
    ("account_compromise", "Mon compte a été piraté."),
    ("account_compromise", "Alguien entró en mi cuenta y cambió el correo."),
    ("account_compromise", "Il mio account è stato hackerato."),
    ("account_compromise", "Mijn account is gehackt."),
    ("account_compromise", "Alguém acessou a minha conta sem autorização."),
    ("account_compromise", "Moje konto zostało zhakowane."),
    ("account_compromise", "アカウントが乗っ取られました。"),
    ("security_report", "I found a stored XSS vulnerability in your dashboard."),
    ("security_report", "Ich habe eine Sicherheitslücke in Ihrer API gefunden."),
    ("security_report", "J'ai trouvé une faille dans votre formulaire de connexion."),
    ("security_report", "He encontrado una vulnerabilidad en su web."),
    ("security_report", "Segnalo una falla di sicurezza nel vostro portale."),
    ("security_report", "Ik heb een beveiligingslek gevonden."),
    ("security_report", "Encontrei uma falha de segurança no site."),
    ("security_report", "Znalazłem lukę w zabezpieczeniach waszej aplikacji."),
    ("security_report", "御社のサイトに脆弱性を見つけました。"),
    ("self_harm_safety", "Honestly I just want to end it all."),
    ("self_harm_safety", "Das Ladegerät hat Feuer gefangen."),
    ("self_harm_safety", "Mon fils s'est brûlé avec l'appareil."),
    ("self_harm_safety", "El cargador se incendió."),
    ("self_harm_safety", "Il dispositivo ha preso fuoco."),
    ("self_harm_safety", "De lader heeft vlam gevat."),
    ("self_harm_safety", "O carregador pegou fogo."),
    ("self_harm_safety", "Ładowarka się zapaliła i jestem poparzony."),
    ("self_harm_safety", "充電器が発火しました。"),
]


@pytest.mark.parametrize(("category", "text"), TOPICS)
def test_detector_fires(category: str, text: str) -> None:
    hit = detect_topic(fold(text))
    assert hit is not None and hit.category == category, hit


@pytest.mark.parametrize("text", [
    "How do I delete my account?",
    "Can I pay by bank transfer?",
    "Your brand colours look great in the new editor.",
    "Wie kann ich mein Passwort ändern?",
    "Comment télécharger mes factures ?",
    "¿Cuánto cuesta el plan Pro?",
    "Come posso cambiare la mia password?",
    "Hoe exporteer ik mijn facturen?",
    "Como altero o meu plano?",
    "Jak wygląda proces zwrotu?",
    "パスワードを変更する方法を教えてください。",
])
def test_detectors_quiet_on_ordinary_questions(text: str) -> None:
    assert detect_topic(fold(text)) is None


@pytest.mark.parametrize("text", [
    "Could you forward this to a supervisor?",
    "Chcę porozmawiać z konsultantem.",
    "担当者と話したいです。",
    "お電話ください。",
    "Geben Sie das bitte an Ihren Vorgesetzten weiter.",
])
def test_more_human_requests(text: str) -> None:
    assert asks_for_human(text) is not None


@pytest.mark.parametrize("text", [
    "No need to call me back, email is fine.",
    "Please don't call me, just email the steps.",
    "Kein Rückruf nötig, danke.",
    "Pas besoin de me rappeler.",
    "No hace falta que me llamen.",
    "Non serve che mi richiamiate.",
    "電話は不要です。",
])
def test_negated_human_requests_are_not_requests(text: str) -> None:
    assert asks_for_human(text) is None


def test_affirmed_request_after_unrelated_negation() -> None:
    assert asks_for_human("I don't understand this, please call me.") is not None


@pytest.mark.parametrize("text", [
    "The glass cover shattered and cut my hand. I needed stitches.",
    "My daughter's finger was bleeding after touching the broken shade.",
    "We ended up in the emergency room last night because of the charger.",
    "Ich habe mich am kaputten Glas geschnitten und musste genäht werden.",
    "Je me suis coupée avec le verre, il a fallu des points de suture.",
    "Me corté con el cristal y estuve sangrando un buen rato.",
    "Mi sono tagliata con il vetro e sono finita al pronto soccorso.",
    "Ik heb me aan het glas gesneden, het bloedde flink.",
    "Cortou a mão no vidro e foi ao hospital.",
    "Skaleczyłem się o szkło, trzeba było założyć szwy.",
    "ガラスで手を切って出血しました。",
])
def test_bodily_injuries_are_safety_topics(text: str) -> None:
    hit = detect_topic(fold(text))
    assert hit is not None and hit.category == "self_harm_safety", hit


@pytest.mark.parametrize("text", [
    "Is the print bleeding into the margin?",
    "How do I cut the video before uploading it?",
    "Wie wird das Video geschnitten?",
    "We are a hospital group. Which plan fits 300 users?",
])
def test_injury_words_in_ordinary_use_are_not_safety(text: str) -> None:
    assert detect_topic(fold(text)) is None


@pytest.mark.parametrize("text", [
    "Please let a human handle this, I don't trust automated answers with billing.",
    "Can you have a real person look at my invoice?",
    "Je souhaite être rappelé par un conseiller.",
    "Quiero que me contacte un asesor.",
    "Vorrei essere richiamato domani.",
    "Ich möchte heute noch zurückgerufen werden.",
    "Gostaria de ser contactado por um atendente.",
])
def test_passive_and_delegating_human_requests(text: str) -> None:
    assert asks_for_human(text) is not None


def test_declined_delegation_is_not_a_request() -> None:
    assert asks_for_human("I do not need a human to handle this, the article helped.") is None


@pytest.mark.parametrize(("category", "text"), [
    # concepts meeting in one sentence, however the customer words them
    ("data_protection", "Tell me which records you keep about me and who they are shared with."),
    ("data_protection", "Ik wil weten welke gegevens jullie over mij bewaren."),
    ("data_protection", "Je veux savoir ce que vous conservez sur moi."),
    ("account_compromise",
     "Two new API keys showed up in the workspace and none of us created them."),
    ("account_compromise", "Mon mot de passe a été modifié hier soir, ce n'est pas moi."),
    ("account_compromise", "Someone changed the password of our admin login overnight."),
    ("account_compromise", "There is a login from a country I have never been to."),
    ("payment_dispute", "Our card issuer is going to claw back the payment."),
    ("payment_dispute", "Il y a un prélèvement de 40 € que je ne reconnais pas."),
    ("payment_dispute", "Ta transakcja nie była przeze mnie autoryzowana."),
    ("security_report",
     "Changing the id in the invoice URL lets me open other customers' invoices."),
    ("security_report", "The mobile app sends the password in plain text."),
    ("security_report",
     "The device accepts commands from anyone on the network without any authentication."),
    ("security_report", "I'd like to coordinate disclosure of an issue in your login form."),
    ("legal", "We will take this to arbitration."),
    ("legal", "Passo la pratica al mio legale."),
    ("self_harm_safety", "The adapter was sparking and the plastic melted."),
    ("self_harm_safety", "Das Netzteil qualmt und riecht verschmort."),
    ("self_harm_safety", "Il y avait de la fumée qui sortait du socle."),
    ("self_harm_safety", "Lampa zaczęła dymić."),
    ("self_harm_safety", "The charger gave my daughter a nasty shock."),
    ("self_harm_safety", "I can't keep going like this, everyone would be better off without me."),
    ("self_harm_safety", "Ya no quiero seguir viviendo así."),
])
def test_concepts_in_one_sentence_are_topics(category: str, text: str) -> None:
    hit = detect_topic(fold(text))
    assert hit is not None and hit.category == category, hit


@pytest.mark.parametrize("text", [
    "We didn't change anything, but the login page shows an error.",
    "None of us can access the workspace since this morning.",
    "Someone on my team deleted a project by mistake. How do I restore it?",
    "Can I cancel the payment by bank transfer and pay by card instead?",
    "Can other users see my private project?",
    "Can I keep my files when I downgrade?",
    "Does the API work without authentication for public boards?",
    "Is there a smoke test for the API before we go live?",
])
def test_concepts_stay_quiet_on_ordinary_questions(text: str) -> None:
    assert detect_topic(fold(text)) is None, detect_topic(fold(text))


@pytest.mark.parametrize("text", [
    "Could one of your colleagues get in touch with me?",
    "Bitte geben Sie das an eine Kollegin weiter, ich möchte das persönlich klären.",
    "Merci de transmettre ma demande à quelqu'un de votre équipe.",
    "¿Me puede atender una persona? No un sistema automático.",
    "Kan iemand mij even opbellen?",
])
def test_human_requests_worded_indirectly(text: str) -> None:
    assert asks_for_human(text) is not None


@pytest.mark.parametrize(("category", "text"), [
    ("legal", "If this is not sorted by Friday I am going to trading standards."),
    ("legal", "Ich wende mich an die Schlichtungsstelle."),
    ("legal", "Je vais saisir le médiateur de la consommation."),
    ("legal", "Voy a poner una hoja de reclamaciones."),
    ("legal", "Mi rivolgerò al giudice di pace."),
    ("legal", "Ik leg het voor aan de Geschillencommissie."),
    ("legal", "Vou escrever no livro de reclamações."),
    ("legal", "Zgłoszę to do UOKiK."),
    ("legal", "返金がなければ消費生活センターに相談します。"),
    ("data_protection", "Please delete everything you hold about me."),
    ("data_protection", "Je m'oppose au traitement de mes données à des fins publicitaires."),
    ("data_protection", "Nie zgadzam się na przetwarzanie moich danych."),
    ("data_protection", "Haal alles wat jullie van mij hebben uit jullie systemen."),
    ("payment_dispute", "We asked our bank to pull the last payment back."),
    ("account_compromise", "There is a new admin in our workspace, den kennt keiner von uns."),
    ("account_compromise", "Nobody here made that change to the owner's email."),
    ("security_report", "A link in a comment runs JavaScript for everyone who opens the task."),
    ("security_report", "I'd like to disclose this responsibly; where do I send it?"),
    ("self_harm_safety", "Beim Birnenwechsel hat es mir einen ordentlichen Schlag gegeben."),
    ("self_harm_safety", "Mio figlio si è scottato toccando la base."),
    ("self_harm_safety", "There was a plasticky smell from the base last night."),
    ("self_harm_safety", "Sinceramente já não sei se quero continuar a viver."),
    ("self_harm_safety", "もう消えてしまいたいです。"),
])
def test_everyday_wording_of_the_topics(category: str, text: str) -> None:
    hit = detect_topic(fold(text))
    assert hit is not None and hit.category == category, hit


@pytest.mark.parametrize("text", [
    "How do I remove a member who left the team?",
    "Which consumer rights do I have when I return the lamp?",
    "Can I run scripts against the API to create tasks?",
    "How do guests get invited to a project?",
    "Wie lange hält die Lampe, wenn ich den Schalter oft betätige?",
    "Is there a way out of the annual plan before it renews?",
])
def test_everyday_wording_stays_quiet_on_ordinary_questions(text: str) -> None:
    assert detect_topic(fold(text)) is None, detect_topic(fold(text))


@pytest.mark.parametrize(("category", "text"), [
    ("self_harm_safety", "The glass shade shattered and my daughter has a cut on her hand."),
    ("self_harm_safety", "Às vezes acho que era melhor desaparecer de vez."),
    ("self_harm_safety", "A volte penso che sarebbe meglio sparire per sempre."),
    ("account_compromise", "Keiner von uns hat diesen Owner eingeladen."),
    ("account_compromise", "知らないうちにアカウントのメールアドレスが変わっていました。"),
    ("account_compromise", "Alguien ha cambiado el correo de la cuenta y ya no puedo entrar."),
    ("security_report", "By incrementing the ID I opened files from workspaces that are not mine."),
    ("security_report", "The device answers on port 80 with no authentication from any device."),
])
def test_round_13_wording_of_the_topics(category: str, text: str) -> None:
    hit = detect_topic(fold(text))
    assert hit is not None and hit.category == category, hit


@pytest.mark.parametrize("text", [
    "Preferirei parlare con un tecnico in carne e ossa.",
    "Mi fate chiamare da qualcuno domani?",
    "Por favor, pasadme con un responsable de facturación.",
    "担当の方から直接ご連絡いただけますでしょうか。",
])
def test_round_13_human_requests(text: str) -> None:
    assert asks_for_human(text) is not None


@pytest.mark.parametrize("text", [
    "Who can see the files of a project that is not mine yet?",
    "How do I invite a new owner for our workspace?",
])
def test_round_13_wording_stays_quiet_on_ordinary_questions(text: str) -> None:
    assert detect_topic(fold(text)) is None, detect_topic(fold(text))


@pytest.mark.parametrize("text", [
    "Plötzlich ist ein Admin im Workspace, den keiner von uns kennt.",
    "Il y a un admin que personne ne connaît dans notre espace.",
    "Hay un administrador que nadie conoce en el espacio de trabajo.",
    "C'è un amministratore che nessuno di noi conosce.",
    "Er staat een beheerder die niemand kent in onze workspace.",
    "Apareceu um administrador que ninguém conhece.",
    "Jest nowy administrator, którego nikt z nas nie zna.",
])
def test_an_admin_nobody_knows_is_account_compromise(text: str) -> None:
    hit = detect_topic(fold(text))
    assert hit is not None and hit.category == "account_compromise", hit


# Plain wording of the topics added in rounds 15-21 (each found on a blind set, rephrased).
PLAIN_TOPICS = [
    ("payment_dispute", "He abierto una disputa con mi tarjeta por el cargo de mayo."),
    ("payment_dispute", "Ik heb mijn bank gevraagd om de incasso's terug te draaien."),
    ("security_report", "I changed the last few digits of the feed URL and saw other tasks."),
    ("security_report", "Your JavaScript bundle contains a working internal API token."),
    ("security_report", "Man kann JavaScript in Kommentare einfügen, das bei anderen ausgeführt "
                        "wird."),
    ("account_compromise", "My login address was changed overnight. I did not do this."),
    ("self_harm_safety", "Já não vejo razão para continuar, nem com a minha vida."),
    ("payment_dispute", "Ik heb bij de bank gemeld dat ik de afschrijving niet herken."),
    ("payment_dispute", "Ich habe meine Bank angewiesen, die Zahlung zurückzuholen."),
    ("data_protection", "I want all the data you hold on me deleted, today."),
    ("data_protection", "Proszę o usunięcie wszystkich danych o mojej osobie."),
    ("data_protection", "Envoyez-moi tout ce que vous conservez à mon sujet."),
    ("account_compromise", "Ktoś musiał przejąć moje konto."),
    ("account_compromise", "Nel pannello vedo chiavi API che nessuno di noi ha creato."),
    ("account_compromise", "The log shows a sign-in from Lima at 3am. I was asleep."),
    ("security_report", "En changeant deux caractères de l'URL, j'ai pu ouvrir les documents "
                        "d'une autre entreprise."),
    ("security_report", "Our project list shows up in a public search engine."),
    ("security_report", "セットアップ中、パスワードが暗号化されておらず送信されています。"),
    ("legal", "He presentado una reclamación ante la oficina de consumo."),
    ("self_harm_safety", "There was a burning plastic smell from the base."),
    ("self_harm_safety", "Já não vejo sentido em nada."),
    ("account_compromise", "My ex still knows my password and keeps signing in."),
    ("account_compromise", "O meu ex ainda sabe a minha palavra-passe."),
    ("security_report", "Since yesterday I see the lampen van mijn buren in my app."),
    ("security_report", "One of our shared PDFs shows up in Google search results."),
    ("security_report", "W opisie zadania można wpisać skrypt, który wykonuje się u innych."),
    ("security_report", "Ho cambiato il numero nell'indirizzo e si sono aperti i task di "
                        "un'altra azienda."),
    ("payment_dispute", "I have disputed the charge with Amex already."),
    ("payment_dispute", "Le dije a mi banco que devuelva el cargo de marzo."),
    ("data_protection", "Merci de cesser toute utilisation de mes données à ces fins."),
    ("self_harm_safety", "A veces pienso que no quiero seguir aquí."),
    ("data_protection", "Welke gegevens bewaren jullie eigenlijk over mij?"),
    ("data_protection", "Je voudrais savoir tout ce que vous gardez sur moi."),
    ("data_protection", "No quiero que usen mis datos para nada más que el servicio."),
    ("data_protection", "御社は私についてどのような情報を持っていますか。"),
    ("payment_dispute", "J'ai fait opposition sur ce prélèvement auprès de ma banque."),
    ("payment_dispute", "Ich habe die Abbuchung bei der Bank zurückbuchen lassen."),
    ("payment_dispute", "Złożyłem w banku reklamację tej transakcji."),
    ("payment_dispute", "I've asked PayPal to reverse the charge from May."),
    ("account_compromise", "In het overzicht staat iemand die ik niet ken."),
    ("account_compromise", "W aplikacji widzę obce urządzenie, którego nie znam."),
    ("account_compromise", "The email address on my account was changed overnight."),
    ("account_compromise", "Un empleado que despedimos el mes pasado sigue entrando."),
    ("security_report", "Si cambio el número al final de la URL veo facturas de otras empresas."),
    ("security_report", "Wenn ich hinten die Zahl ändere, sehe ich Daten anderer Firmen."),
    ("security_report", "共有リンクのURLの最後を変えると他の人のファイルが見えます。"),
    ("self_harm_safety", "Honestly I just want to disappear."),
    ("self_harm_safety", "A veces pienso que sería mejor no despertarme."),
    ("self_harm_safety", "Às vezes penso em acabar com tudo."),
    ("self_harm_safety", "Als ich die Lampe anfasste, war es, als ob Strom durchgeht."),
    ("data_protection", "Please get rid of every bit of information you keep on file."),
    ("data_protection", "Ich möchte wissen, was Sie über meine Person gespeichert haben."),
    ("payment_dispute", "Ya llamé a mi banco para que me devuelvan el dinero del cargo."),
    ("account_compromise", "El correo de mi cuenta se cambió anoche. Yo no toqué nada."),
    ("security_report", "In our invoice list there is an invoice from a different company."),
    ("security_report", "Hij kan projecten openen waarvoor hij nooit uitgenodigd is."),
    ("security_report", "Si cambio el número a mano puedo bajar archivos de otras empresas."),
    ("security_report", "The lamp accepts pairing from any phone without any confirmation."),
    ("self_harm_safety", "Quand je touche la lampe, j'ai des picotements dans les doigts."),
    ("self_harm_safety", "Meiner Tochter hat es beim Einschrauben in den Fingern gekribbelt."),
    ("self_harm_safety", "Às vezes acho que seria melhor eu não estar aqui."),
    ("legal", "Sonst wende ich mich an die Verbraucherschlichtungsstelle."),
    ("data_protection", "Bitte entfernen Sie alle Angaben zu meiner Person aus Ihren Systemen."),
    ("payment_dispute", "I reported the May payment to my card issuer as fraud."),
    ("account_compromise", "Im Log sehe ich eine Anmeldung aus Singapur. Das war ich nicht."),
    ("account_compromise", "I see a sign-in from Lagos in the log. That wasn't me."),
    ("account_compromise", "Quelqu'un a changé l'adresse e-mail de mon compte cette nuit."),
    ("security_report", "If the signature header is empty, anyone could forge events."),
    ("security_report", "ランプの設定画面にセキュリティ上の欠陥があるようです。"),
    ("legal", "Our counsel asked me to tell you we are considering formal proceedings."),
    ("payment_dispute", "Ho contestato con la banca l'addebito di marzo."),
    ("account_compromise", "Er kwamen inlogmeldingen uit Brazilië binnen. Ik heb dat niet gedaan."),
    ("account_compromise", "Me llegan avisos de inicio de sesión desde otro país. Yo no he sido."),
    ("self_harm_safety", "Toen ik de lamp aanraakte kreeg ik een flinke tik."),
    ("self_harm_safety", "もう何もかも嫌になりました。"),
    ("self_harm_safety", "Dotknęłam metalowej obudowy i mnie kopnęło, ręka jeszcze mrowi."),
    ("self_harm_safety", "J'ai pris une décharge en touchant le pied de la lampe."),
    ("self_harm_safety", "Me dio corriente al tocar la lámpara."),
    ("self_harm_safety", "Ik kreeg een schok toen ik de lamp aanraakte."),
    ("self_harm_safety", "ランプに触ったらビリッとしました。"),
]


@pytest.mark.parametrize(("category", "text"), PLAIN_TOPICS)
def test_plain_wording_of_the_topics(category: str, text: str) -> None:
    hit = detect_topic(fold(text))
    assert hit is not None and hit.category == category, hit


@pytest.mark.parametrize("text", [
    "Which data do I need to enter to sign up?",
    "Puedo cambiar el número de teléfono de mi cuenta?",
    "How do I change the number of seats in the URL of the billing page?",
    "Peut-on payer par virement depuis notre banque ?",
    "Hoe kan ik iemand uitnodigen die nog geen account heeft?",
    "Can I change the email address on my account?",
    "Can I download an invoice from a different year?",
    "Ich habe die Rechnung an meinen Kollegen weitergeleitet, wo finde ich die alte?",
    "Kann ein Gast Projekte sehen, zu denen er nicht eingeladen ist?",
    "I changed my password yesterday. Now the app asks me to sign in again, is that right?",
    "Wo sehe ich die Anmeldungen im Log? Ich war im Urlaub und möchte nachsehen.",
    "L'écran blanc à trois heures du matin me brûle les yeux : où est le thème sombre ?",
])
def test_plain_wording_stays_quiet_on_ordinary_questions(text: str) -> None:
    assert detect_topic(fold(text)) is None, detect_topic(fold(text))


@pytest.mark.parametrize("text", [
    "¿Me podría llamar alguien mañana por la tarde?",
    "担当の方と直接お話しできますか。",
    "Dá pra alguém de carne e osso me ligar amanhã?",
    "Mirá, prefiero que me pases con alguien del equipo, una persona.",
    "Je souhaite que ma demande soit transmise à un responsable.",
    "担当者の方から直接お電話をいただけますか。",
    "Können Sie das an einen Kollegen aus der Buchhaltung weitergeben?",
    "Würden Sie mein Anliegen bitte an Ihre Teamleitung weiterzugeben?",
    "Pourriez-vous me faire rappeler par un technicien ?",
    "Kannst du mich mit jemandem aus dem Vertrieb verbinden?",
    "Gostaria que um atendente humano me ligasse amanhã.",
    "Per favore inoltrate questa mail al vostro responsabile.",
    "Prefiro tratar disto com uma pessoa e não com respostas automáticas.",
    "Proszę przekazać tę sprawę osobie odpowiedzialnej.",
    "人間の担当の方に日本語で直接説明していただきたいです。",
    "可能ならオンラインで少しお話しできませんか。",
])
def test_plain_human_requests(text: str) -> None:
    assert asks_for_human(text) is not None
