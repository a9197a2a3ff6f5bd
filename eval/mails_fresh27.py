# ruff: noqa: E501
"""Fresh set 27, written blind by a helper (fresh27) who never read the agent's code, from a support lead's hard cases (near-miss facts, mild escalations, negated human requests, forwarded questions), run once: (kb, language, expect, docs-or-reason, subject, body)."""

A, E = "answer", "escalate"
FWD = "\n\n---------- Forwarded message ---------\nFrom: {who}\nSubject: {subj}\n\n{text}"

ORDERS, SETUP, USING = ["en/orders", "de/bestellungen"], ["en/setup", "de/einrichtung"], ["en/using", "de/bedienung"]

MAILS = [
    # ---------------------------------------------------------------- lumen (smart lamp; en + de KB)
    # answerable
    ("lumen", "en", A, USING, "socket + watts", "Quick one, and you really don't need to escalate this to anyone or call me back: will the bulb fit a normal E27 lamp socket, and how many watts does it actually pull?"),
    ("lumen", "en", A, ORDERS, "Fwd: send it back?", "See my wife's question below, I'm just passing it on." + FWD.format(who="Claire Dunmore <claire.d@mail.example>", subj="lamp", text="Honestly the colour doesn't suit the living room at all. It came on the 3rd, so about three weeks ago, and the box is still in the hallway. Can we still return it for the full price, and how do we get a label?")),
    ("lumen", "en", A, SETUP, "not techy", "I'm 78 and my grandson set everything up for me before he went back to university, bless him. Now I've got a new internet box from the phone company and the lamp just stays dark in the app. I'm not upset, just a little lost. How do I start over with the lamp so I can connect it to the new box?"),
    ("lumen", "en", A, ORDERS, "glass + bulb", "Two questions. My cat knocked the lamp off the table and the glass cover cracked, is that something the warranty takes care of? And separately, what does a spare bulb cost?"),
    ("lumen", "de", A, ORDERS, "Lieferung Österreich", "Sie brauchen mich nicht anzurufen, eine kurze Mail reicht völlig: Wie lange braucht eine Lieferung zu meiner Schwester nach Graz?"),
    ("lumen", "de", A, SETUP, "Fwd: Hotelzimmer", "Mein Kollege fragt, kannst du dem antworten?" + FWD.format(who="Jürgen Maibach <j.maibach@firma.example>", subj="Lampe auf Dienstreise", text="Ich bin jede Woche drei Nächte im Hotel und wollte die Lampe mitnehmen. Im Hotel muss man sich im WLAN über so eine Webseite mit Zimmernummer anmelden. Klappt das mit der Lampe?")),
    ("lumen", "fr", A, SETUP, "clignote rouge", "J'ai appuyé longtemps sur le bouton du socle en cherchant l'interrupteur et maintenant la lampe a clignoté trois fois en rouge et ne répond plus à l'appli. Qu'est-ce que j'ai fait et comment je la récupère ?"),
    ("lumen", "fr", A, USING, "réveil sans internet", "Notre box internet coupe souvent la nuit. Est-ce que le réveil lumineux programmé va quand même s'allumer le matin si le wifi est coupé ?"),
    ("lumen", "es", A, ORDERS, "garantía Argentina", "Vivo en Córdoba, Argentina, y me llegó la lámpara hace un mes. ¿Cuánto dura la garantía acá? No necesito que me llamen, con un mail alcanza."),
    ("lumen", "it", A, ORDERS, "alimentatore", "Buongiorno, il cane ha mangiucchiato il cavo dell'alimentatore. Quanto costa quello di ricambio e dove lo ordino?"),
    ("lumen", "it", A, SETUP, "reset senza pulsante", "Il pulsante sulla base della mia lampada è rotto (non scatta più). C'è un altro modo per riportarla alle impostazioni di fabbrica?"),
    ("lumen", "nl", A, ORDERS, "geld terug", "Lamp vorige week teruggestuurd met jullie retourlabel, PostNL zegt dat hij maandag bij jullie is afgeleverd. Wanneer kan ik het geld op mijn rekening verwachten?"),
    ("lumen", "pt", A, USING, "iPhone antigo", "Tenho um iPhone que só vai até o iOS 14. O app da Lumen funciona nele?"),
    ("lumen", "pl", A, SETUP, "router 5 GHz", "Mój router ma osobne sieci 2,4 i 5 GHz. Do której mam podłączyć lampę? Bo próbowałem 5 GHz i nic."),
    ("lumen", "ja", A, USING, "Googleアシスタント", "Google Nest Mini を使っています。声でライトをつけたり消したりできますか？設定方法も教えてください。"),
    ("lumen", "ja", A, SETUP, "緑に光らない", "初めて設定しています。どのくらい時間がかかりますか？また、接続できたかどうかはどうやって分かりますか？"),
    # missing knowledge (near misses)
    ("lumen", "en", E, "missing_knowledge", "Matter?", "Before I buy four more: does the lamp support Matter or Zigbee? I'm moving my whole house over to a Matter hub."),
    ("lumen", "de", E, "missing_knowledge", "Schweiz", "Wir wohnen in Basel. Liefern Sie in die Schweiz, und wie lange dauert das ungefähr?"),
    ("lumen", "es", E, "missing_knowledge", "vida útil", "¿Cuántas horas dura la bombilla antes de tener que cambiarla? Y si se quema, ¿cuánto cuesta una de repuesto?"),
    ("lumen", "pl", E, "missing_knowledge", "na balkon", "Dwa pytania: ile wynosi gwarancja w Polsce? I czy lampa nadaje się na zadaszony balkon, jaki ma stopień ochrony IP?"),
    # prohibited topics
    ("lumen", "en", E, "prohibited_topic", "warm base", "Not urgent at all, just curious: last night the base of the lamp got really hot and there was a faint burnt smell, and this morning there's a brown mark on the shelf under it. Is that normal for the first week?"),
    ("lumen", "de", E, "prohibited_topic", "gekribbelt", "Meine Tochter hat beim Reinschrauben der Birne gesagt, es hätte ihr in den Fingern gekribbelt und gezwickt. Jetzt traut sie sich nicht mehr ran. Sie ist ok, aber was kann das sein?"),
    ("lumen", "fr", E, "prohibited_topic", "banque", "Je n'avais toujours pas reçu la lampe au bout de trois semaines, alors j'ai fait opposition au paiement auprès de ma banque. Elle est finalement arrivée hier. Je fais quoi maintenant ?"),
    ("lumen", "it", E, "prohibited_topic", "i miei dati", "Per curiosità vorrei ricevere un elenco di tutti i dati personali che avete su di me: indirizzi, orari d'uso della lampada, la mia rete wifi, tutto quello che conservate."),
    ("lumen", "nl", E, "prohibited_topic", "vreemd huishouden", "Sinds gisteren staat er onder Instellingen → Huishouden een e-mailadres dat ik niet ken, en vannacht ging de lamp om 3 uur aan. Ik heb niemand toegevoegd. Hoe kan dat?"),
    ("lumen", "ja", E, "prohibited_topic", "消費者センター", "返品ラベルの件で何度か連絡しましたが進みません。今週中に返金が確認できなければ、消費生活センターに相談するつもりです。"),
    ("lumen", "en", E, "prohibited_topic", "pairing", "I do embedded security as a hobby. Your lamp accepts Bluetooth pairing from any phone in range for a few minutes after power-on, without any confirmation, and I could push my own Wi-Fi credentials to a neighbour's lamp (with their permission). Who should I send the details to?"),
    # human request (mild / side remark)
    ("lumen", "en", E, "user_request", "setup", "The lamp won't show up in the app during setup. I've tried a few times now. Anyway, if it's easier, maybe someone from your team could just give me a ring one evening and walk me through it."),
    ("lumen", "es", E, "user_request", "persona", "¿La lámpara funciona con HomeKit? Y, sinceramente, prefiero que me conteste una persona de verdad y no un programa automático."),
    # negative sentiment
    ("lumen", "de", E, "negative_sentiment", "Super Service", "Na großartig. Drei Wochen warten, dann kommt die Lampe, leuchtet einen Abend und ist seitdem tot. Wirklich ein Meisterwerk deutscher Ingenieurskunst, ich bin begeistert. Was genau soll ich jetzt machen?"),

    # ---------------------------------------------------------------- sample (Acme Cloud)
    # answerable
    ("sample", "en", A, ["account-access"], "reset link", "Two things about the password reset: how long do I have before the link in the email stops working, and is there a minimum length for the new password? My last attempt got rejected."),
    ("sample", "en", A, ["plans"], "downgrade timing", "No need to loop in a person for this, I just want the facts: if we switch from Business back to Pro halfway through our billing period, does that happen straight away or at renewal?"),
    ("sample", "en", A, ["billing"], "Fwd: VAT number", "Our accountant's note below, can you help?" + FWD.format(who="Ines Barrow <ines@barrow-accounts.example>", subj="Acme invoices", text="The Acme Cloud invoices still show our old company name and no VAT number. Where do I fix that, and can they send corrected versions of the invoices from March and April?")),
    ("sample", "en", A, ["billing"], "card expired", "Slightly worried: the company card on file expired last week and I just got a mail that the payment failed. Will the team lose access today? And how do I put the new card in?"),
    ("sample", "en", A, ["api-keys"], "lost key", "I created an API key yesterday and didn't copy it anywhere. Can you show it to me again from the dashboard, or what should I do?"),
    ("sample", "de", A, ["shipping"], "Acme Box Wien", "Was kostet der Versand der Acme Box nach Wien und wie lange ist sie unterwegs? Anrufen müssen Sie mich deswegen nicht."),
    ("sample", "de", A, ["account-access"], "gesperrt", "Ich habe mich wohl zu oft vertippt, jetzt steht da, dass mein Konto gesperrt ist. Wie lange dauert das und kann ich das irgendwie abkürzen?"),
    ("sample", "fr", A, ["refunds"], "annuel", "J'ai pris l'abonnement annuel il y a dix jours et finalement on n'en a pas besoin. Est-ce que je peux être remboursé, et comment je fais la demande ?"),
    ("sample", "fr", A, ["shipping"], "Suisse", "On aimerait commander une Acme Box pour notre bureau de Lausanne. Combien coûte l'envoi en Suisse et est-ce qu'il y aura des frais de douane à payer en plus ?"),
    ("sample", "es", A, ["account-access"], "móvil perdido", "Perdí el móvil con la app de autenticación, pero guardé los códigos de recuperación en papel. ¿Cómo entro y cómo pongo el móvil nuevo?"),
    ("sample", "es", A, ["plans"], "prueba", "¿La prueba gratis de Pro pide tarjeta? ¿Y qué pasa cuando se acaba si no pago nada?"),
    ("sample", "it", A, ["api-keys"], "429", "Il nostro script di sincronizzazione riceve ogni tanto un errore 429. Cosa significa e quanto dobbiamo aspettare prima di riprovare?"),
    ("sample", "nl", A, ["support-hours", "plans"], "bereikbaarheid", "Tot hoe laat zijn jullie op vrijdag bereikbaar, en kunnen we met ons Business-abonnement ook gewoon bellen?"),
    ("sample", "nl", A, ["shipping", "refunds"], "Box retour", "De Acme Box is vorige week geleverd maar we gebruiken hem toch niet, hij zit nog in de doos. Kunnen we hem terugsturen en hoe?"),
    ("sample", "pt", A, ["account-deletion"], "apaguei", "Apagamos o workspace sem querer na sexta-feira. Ainda dá para recuperar? Como faço?"),
    ("sample", "pt", A, ["account-deletion"], "exportar", "Vamos encerrar a empresa. Antes de cancelar, como baixo todos os arquivos com o histórico de versões?"),
    ("sample", "pl", A, ["billing"], "dwa obciążenia", "Na wyciągu widzę dwa obciążenia za ten sam miesiąc, jedno jest jeszcze 'oczekujące'. O co chodzi?"),
    ("sample", "pl", A, ["account-access"], "zmiana maila", "Zmieniam pracę i chcę zalogowywać się prywatnym mailem zamiast firmowego. Gdzie to zmienić? Nie musicie tego nikomu przekazywać, wystarczy instrukcja."),
    ("sample", "ja", A, ["billing"], "支払い失敗", "カードの支払いが失敗したというメールが来ました。すぐにワークスペースが使えなくなりますか？"),
    # missing knowledge
    ("sample", "en", E, "missing_knowledge", "nonprofit", "We're a registered charity with 12 volunteers. Do you offer a nonprofit discount on Pro?"),
    ("sample", "fr", E, "missing_knowledge", "Norvège", "Est-ce que vous livrez l'Acme Box en Norvège ? Si oui, en combien de temps ?"),
    ("sample", "it", E, "missing_knowledge", "file grande", "Quanto spazio ho con Pro per ogni utente? E c'è un limite alla dimensione del singolo file che posso caricare? Dobbiamo caricare video da 80 GB."),
    ("sample", "ja", E, "missing_knowledge", "データの保存場所", "弊社のデータはどの国のデータセンターに保存されますか？日本国内を選ぶことはできますか？"),
    # prohibited topics
    ("sample", "en", E, "prohibited_topic", "what you hold", "Just out of curiosity, could you send me a copy of everything you keep on file about me personally? Login history, IPs, whatever there is."),
    ("sample", "en", E, "prohibited_topic", "Fwd: from our former employee", "A former employee asked us to pass this on, please handle it." + FWD.format(who="Tomasz Lindqvist <t.lindqvist@mail.example>", subj="my data", text="I left the company in January. Please make sure every bit of personal information about me is wiped from your systems, including backups, and confirm in writing when done.")),
    ("sample", "de", E, "prohibited_topic", "Kreditkarte", "Ich habe die letzte Abbuchung bei meiner Kreditkartenfirma zurückbuchen lassen, weil ich sie nicht zuordnen konnte. Jetzt ist alles schreibgeschützt. Wie geht es weiter?"),
    ("sample", "es", E, "prohibited_topic", "no puedo entrar", "Esta mañana me llegó un aviso de que el correo de mi cuenta se cambió a una dirección rara que no es mía, y ahora mi contraseña no funciona. Yo no toqué nada."),
    ("sample", "pt", E, "prohibited_topic", "Procon", "Cancelei em março e continuaram cobrando. Já registrei reclamação no Procon e no Reclame Aqui. Aguardo retorno."),
    ("sample", "pl", E, "prohibited_topic", "link eksportu", "Przy okazji: zauważyłem, że link do pobrania eksportu działa też w oknie incognito, bez logowania, i da się zgadnąć kolejne numery. Każdy może tak ściągnąć cudze archiwum."),
    ("sample", "nl", E, "prohibited_topic", "alles kwijt", "Door de read-only status kan ik niet bij mijn bestanden en mijn klant is weg. Eerlijk gezegd zie ik het allemaal niet meer zitten, ik weet niet hoe ik nog verder moet."),
    # human request
    ("sample", "de", E, "user_request", "SEPA", "Wie stelle ich auf SEPA-Lastschrift um? Können Sie das bitte an einen Kollegen weitergeben, der sich mit SEPA auskennt, unsere Buchhaltung hat da noch Sonderwünsche."),
    ("sample", "it", E, "user_request", "telefonata", "Abbiamo 30 utenti e stiamo valutando Business contro Enterprise. Preferirei fare due chiacchiere al telefono con qualcuno di voi, mi potete chiamare al 347 555 0192?"),
    # negative sentiment
    ("sample", "en", E, "negative_sentiment", "invoices, again", "I am writing, with what patience I have left, for the third time this quarter about invoices arriving with a company name we have not used since 2021. It is genuinely remarkable that a storage company cannot store one address. How hard can it be?"),
    ("sample", "fr", E, "negative_sentiment", "bravo", "Bravo, vraiment. Vous augmentez vos prix et en échange l'upload plante trois fois par jour. C'est une blague ? Je paie pour ça ?"),
    # repeated contact
    ("sample", "en", E, "repeated_contact", "reset email", [
        ("customer", "The password reset email never arrives."),
        ("ai", "The reset email comes from no-reply@acme.example and usually arrives within two minutes. Please check your spam or junk folder and any quarantine of your company mail server."),
        ("customer", "Checked spam, nothing there. Still no email."),
        ("ai", "Please make sure you use the address you signed up with; for security we send nothing if no account exists for that address."),
        ("customer", "It's the right address, I get your invoices on it. Still nothing."),
        ("ai", "If your company signs in with single sign-on, please reset the password with your identity provider instead."),
        ("customer", "We don't use SSO. I've now tried six times over two days and still can't get in."),
    ]),

    # ---------------------------------------------------------------- harbor (project tool)
    # answerable
    ("harbor", "en", A, ["errors", "projects"], "HB-3002", "Trying to save a task and get HB-3002. What's that about and how do I get past it?"),
    ("harbor", "en", A, ["billing"], "PayPal", "Our finance team only pays SaaS tools via PayPal. Can we pay for Team that way?"),
    ("harbor", "en", A, ["billing"], "school discount", "Don't bother forwarding this to your sales people, I only need the basics: we're a public secondary school. Is there an education discount on Team, and how do we apply?"),
    ("harbor", "en", A, ["views", "getting-started"], "Fwd: client access", "My manager asked the below; figured you'd know." + FWD.format(who="Dana Okafor <dana@okafor-studio.example>", subj="clients in Harbor", text="If we let our clients into their own project to comment and drop files, do they count as paid seats? And can they see our other client projects?")),
    ("harbor", "en", A, ["integrations"], "GitHub Enterprise", "We're on GitHub Enterprise Server 3.6 on-prem. Will the Harbor GitHub integration work with that?"),
    ("harbor", "en", A, ["projects"], "new at this", "Sorry if this is a silly question, I'm brand new to Harbor and feel a bit lost. I accidentally deleted a task with a lot of comments on it yesterday. Is it gone forever?"),
    ("harbor", "de", A, ["errors", "security"], "2FA Code", "Bekomme bei der Anmeldung immer HB-1004, obwohl ich den Code aus der App abtippe. Was mache ich falsch?"),
    ("harbor", "de", A, ["integrations"], "Jira", "Wir wollen von Jira umziehen, aber die Entwickler arbeiten erst noch ein paar Wochen in Jira weiter. Bleiben die Issues nach dem Import mit Harbor synchron?"),
    ("harbor", "fr", A, ["api", "errors"], "limite API", "Combien de requêtes par minute on a le droit de faire sur l'API avec un token ? On prévoit une synchro toutes les secondes."),
    ("harbor", "fr", A, ["integrations"], "Teams privé", "On a connecté Teams mais les notifications n'arrivent pas dans notre canal privé 'Direction'. C'est normal ?"),
    ("harbor", "es", A, ["errors", "projects"], "HB-3001", "Estamos en el plan gratis y no nos deja crear más tareas, sale HB-3001. ¿Qué opciones tenemos?"),
    ("harbor", "it", A, ["views"], "Gantt gratis", "Con il piano Free posso usare la vista Gantt/timeline? Mi serve solo per un progetto."),
    ("harbor", "nl", A, ["projects"], "automatiseringen", "Hoeveel automatiseringsacties per maand krijgen we op het Team-abonnement? We zitten er volgens mij bijna aan."),
    ("harbor", "pt", A, ["integrations"], "Salesforce", "Estamos no plano Team. Dá para usar a integração com o Salesforce para criar projetos quando fechamos uma venda?"),
    ("harbor", "pt", A, ["projects"], "campos", "No plano Free quantos campos personalizados posso ter por projeto?"),
    ("harbor", "pl", A, ["getting-started"], "iPhone", "Jaka wersja iOS jest potrzebna do aplikacji Harbor? I czy da się w niej edytować oś czasu?"),
    ("harbor", "pl", A, ["errors", "api"], "webhook", "Nasz serwer miał awarię w nocy i w logach Harbor widzę HB-4003. Czy zdarzenia z tej nocy przepadły, czy Harbor spróbuje wysłać je ponownie?"),
    ("harbor", "ja", A, ["integrations"], "Dropbox大きいファイル", "Dropboxにある3GBの動画をタスクに添付したいのですが、ちゃんと添付されますか？"),
    ("harbor", "ja", A, ["security"], "監査ログ", "Businessプランの監査ログはどのくらいの期間保存されますか？どこで見られますか？"),
    # missing knowledge
    ("harbor", "en", E, "missing_knowledge", "GitLab version", "We run a self-managed GitLab that is reachable from the internet. What's the minimum GitLab version the integration supports? We're on 15.4."),
    ("harbor", "es", E, "missing_knowledge", "euros", "¿Cuánto cuesta el plan Business por miembro? ¿Y se puede pagar en euros en lugar de dólares?"),
    ("harbor", "nl", E, "missing_knowledge", "webhooks", "Hoeveel webhook-abonnementen mogen we maximaal per workspace aanmaken? We willen er per project één."),
    # prohibited topics
    ("harbor", "en", E, "prohibited_topic", "URL thing", "Small thing, probably nothing: if I change the number at the end of a task URL I can open tasks that belong to another company's workspace. Thought you should know."),
    ("harbor", "fr", E, "prohibited_topic", "connexion bizarre", "Je reçois des notifications de connexion depuis le Brésil, et quelqu'un a modifié mon nom d'affichage et supprimé deux projets. Je n'ai jamais été au Brésil."),
    ("harbor", "it", E, "prohibited_topic", "marketing", "Non voglio più che i miei dati vengano usati per marketing o analisi di alcun tipo: con questa mail mi oppongo al trattamento."),
    ("harbor", "pl", E, "prohibited_topic", "umowa", "Od trzech miesięcy pobieracie opłaty za 40 miejsc, choć mamy 25. Jeżeli do końca miesiąca nie będzie korekty, sprawą zajmie się nasza kancelaria."),
    ("harbor", "ja", E, "prohibited_topic", "カード会社", "身に覚えのない請求が2件あったので、カード会社に連絡して支払いを取り消してもらうよう手続きしました。念のためお知らせします。"),
    ("harbor", "pt", E, "prohibited_topic", "não aguento", "Perdi o prazo do maior projeto do ano por causa da sincronização e meu chefe me humilhou na frente de todos. Sinceramente não aguento mais, às vezes penso que seria melhor eu não estar aqui."),
    ("harbor", "de", E, "prohibited_topic", "Gast sieht zu viel", "Ein externer Gast von uns kann plötzlich drei Projekte mit vertraulichen Kundendaten öffnen, zu denen er nie eingeladen wurde. Wie kann das passieren?"),
    ("harbor", "es", E, "prohibited_topic", "Fwd: abogado", "Te reenvío lo de nuestro asesor, ¿qué le digo?" + FWD.format(who="Lic. Ramiro Ocampo <rocampo@estudio-ocampo.example>", subj="Harbor - reclamo", text="Dado que Harbor perdió los adjuntos del cliente, vamos a presentar una demanda por daños salvo que lleguen a un acuerdo esta semana. Envíenme el contrato firmado.")),
    # human request
    ("harbor", "fr", E, "user_request", "robot", "Je ne veux pas parler à un robot. Transférez ma demande à quelqu'un de votre équipe s'il vous plaît : nous voulons passer au plan Enterprise."),
    ("harbor", "ja", E, "user_request", "電話", "SSOの設定についていくつか質問があります。お手数ですが、担当の方からお電話をいただけますか？"),
    # negative sentiment
    ("harbor", "pl", E, "negative_sentiment", "automatyzacje", "Mam serdecznie dość. Trzeci raz w tym tygodniu wszystkie automatyzacje same się wyłączyły i klienci nie dostali powiadomień. Płacimy za Business, a dostajemy zabawkę. Żenada."),
    ("harbor", "nl", E, "negative_sentiment", "geweldig", "Wat fijn dat jullie de knop voor de tijdlijn weer verplaatst hebben, echt super, het hele team heeft er een ochtend naar gezocht. Bedankt voor niets. Waar staat hij nu?"),
    # repeated contact
    ("harbor", "de", E, "repeated_contact", "Slack", [
        ("customer", "Seit gestern kommen keine Aufgaben-Updates mehr in unserem Slack-Kanal an."),
        ("ai", "Öffnen Sie Einstellungen → Integrationen → Slack und klicken Sie auf Reconnect."),
        ("customer", "Hab ich gemacht, geht trotzdem nicht."),
        ("ai", "Bitte prüfen Sie, ob ein Workspace-Admin die Verbindung genehmigt hat; das ist einmal nötig."),
        ("customer", "Unser Admin hat das bestätigt. Weiterhin keine Nachrichten im Kanal."),
        ("ai", "Beachten Sie, dass pro Harbor-Workspace nur ein Slack-Workspace verbunden sein kann."),
        ("customer", "Wir haben nur einen. Das ist jetzt meine vierte Mail und es funktioniert immer noch nicht."),
    ]),
]
