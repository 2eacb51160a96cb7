"""Hand-written message pools for jaga's conversation corpus (see DATA_CARD.md).

Every line was written for this project by a jaga contributor; nothing is taken from real chats.
Names are invented, numbers are of the 0812-0000-0000 kind, and the `sexual` lines are
non-graphic, transactional wording only (../../shared/spec/taxonomy.md).

GROOMING[lang][category] are messages an adult sends to a child, one risk category each (a few
carry two). `build.py` uses even-numbered lines for the tune split and odd-numbered lines for the
test split, so no line of a test conversation was seen while tuning.
"""

from __future__ import annotations

GROOMING: dict[str, dict[str, list[str]]] = {
    "id": {
        "flattery": [
            "kamu cantik banget sih, beda dari cewek lain",
            "kamu dewasa banget buat umur kamu",
            "om suka ngobrol sama kamu, kamu pinter",
            "senyum kamu manis deh, pasti banyak yang naksir",
            "kamu lebih ngerti om daripada orang lain",
            "kamu spesial buat om, beneran",
        ],
        "personal_info": [
            "umur kamu berapa sih? kelas berapa?",
            "sekolah dimana? pulangnya jam berapa?",
            "di rumah sama siapa aja? ortu kerja ya?",
            "kamu sendirian di rumah sekarang?",
            "mama kamu pulang jam berapa biasanya?",
            "rumah kamu di daerah mana? deket pasar?",
        ],
        "secrecy": [
            "tapi jangan bilang mama ya, rahasia kita berdua",
            "chat ini hapus aja ya abis baca",
            "ini rahasia kita aja, jangan cerita ke siapa2",
            "jangan kasih tau ortu kamu ya, nanti mereka salah paham",
            "jangan bilang temen2 kamu juga ya",
            "abis ini hapus chat nya ya sayang",
        ],
        "isolation": [
            "pindah ke WA aja yuk, biar lebih enak",
            "ortu kamu gak ngerti kamu, cuma om yang ngerti",
            "bikin akun baru aja biar mama gak liat",
            "temen2 kamu itu gak tulus, om yang peduli sama kamu",
        ],
        "offer_credit": [
            "mau pulsa gak? om kirimin 50rb sekarang",
            "om isiin kuota kamu ya biar bisa chat terus",
            "mau diamond ML? om topup in deh",
            "nanti om transfer saldo DANA buat kamu",
            "kuota kamu abis ya? sini om beliin paket data",
            "om kasih pulsa 100rb, tinggal bilang nomornya",
        ],
        "offer_money": [
            "uang sekolah kamu biar om yang bayarin",
            "om kasih uang jajan ya, mau berapa?",
            "mau HP baru gak? om beliin",
            "SPP bulan ini om yang tanggung deh",
            "om transfer 200rb ya buat kamu jajan",
            "nanti om beliin baju baru yang kamu mau",
        ],
        "meetup": [
            "besok kita nongkrong di cafe yuk, om jemput",
            "ketemuan yuk hari sabtu, om traktir",
            "mau jalan ke pantai gak? om jemput di depan gang",
            "kita ketemu di mall aja, jangan ajak siapa2",
            "pulang sekolah om tunggu di depan ya",
            "main ke kos om aja, deket kok",
        ],
        "photo_request": [
            "kirim foto kamu dong, pengen liat",
            "vc yuk sekarang, nyalain kamera ya",
            "fotoin kamu lagi pake baju tidur dong",
            "kirim selfie kamu yang baru dong",
        ],
        "sexual": [
            "temenin om semalam ya, nanti dibayar",
            "mau jadi pacar rahasia om gak?",
            "nginep di hotel sama om, nanti om kasih uang",
            "kamu mau jadi simpanan om? semua om bayarin",
        ],
    },
    "kupang": {
        "flattery": [
            "nona manis sekali e, beda dari yang lain",
            "lu pung senyum bagus, om suka",
            "lu su dewasa, sonde sama deng anak laen",
            "om senang cerita deng lu, lu pintar",
            "lu paling mangarti om",
            "nona ni spesial sekali buat om",
        ],
        "personal_info": [
            "lu umur barapa? kelas barapa?",
            "lu sekolah di mana? pulang jam barapa?",
            "lu di rumah sandiri ko?",
            "lu pung mama kerja di mana? pulang jam barapa?",
            "lu tinggal di mana? dekat pasar ko?",
            "bapa deng mama ada di rumah ko sonde?",
        ],
        "secrecy": [
            "ma jang kasi tau lu pung mama e, ini rahasia",
            "abis baca hapus ini chat e",
            "jang cerita ke sapa-sapa, ini botong dua pung rahasia",
            "jang bilang lu pung bapa, nanti dia marah",
            "jang kasi tau lu pung tamang dong",
            "hapus chat ni e nona",
        ],
        "isolation": [
            "pindah ke WA sa, lebe enak",
            "lu pung orang tua sonde mangarti lu, cuma om yang mangarti",
            "bekin akun baru sa supaya mama sonde lia",
            "lu pung tamang dong sonde peduli, om yang peduli",
        ],
        "offer_credit": [
            "lu mau pulsa ko? om kirim 50rb",
            "om isi lu pung kuota e, supaya bisa chat terus",
            "mau diamond FF ko? om topup",
            "om kirim saldo DANA buat lu",
            "lu pung paket data su abis? om beli kasi",
            "om kasi pulsa 100rb, kasi om lu pung nomor",
        ],
        "offer_money": [
            "lu pung uang sekolah om yang bayar",
            "om kasi lu doi jajan e, mau barapa?",
            "lu mau HP baru ko? om beli kasi",
            "uang SPP om yang tanggung",
            "om transfer 200rb buat lu",
            "nanti om beli kasi lu baju baru",
        ],
        "meetup": [
            "besok botong nongkrong di cafe, om jemput",
            "ketemu ko hari sabtu, om traktir",
            "mau pi pantai ko? om jemput di depan lorong",
            "botong ketemu di mall sa, jang ajak sapa-sapa",
            "pulang sekolah om tunggu di depan e",
            "datang ke om pung kos sa, dekat",
        ],
        "photo_request": [
            "kirim lu pung foto dolo, om mau lia",
            "vc ko sekarang, nyala kamera e",
            "foto lu pake baju tidur kirim ke om",
            "kirim selfie baru dolo",
        ],
        "sexual": [
            "temani om satu malam, nanti om bayar",
            "lu mau jadi om pung pacar rahasia ko?",
            "nginap di hotel deng om, nanti om kasi doi",
            "jadi om pung simpanan sa, om bayar samua",
        ],
    },
    "jv": {
        "flattery": [
            "kamu ayu tenan, beda sama yang lain",
            "lo dewasa banget sih buat umur lo",
            "mas seneng ngobrol sama kamu, kamu pinter",
            "senyummu manis, pasti akeh sing naksir",
            "cuma lo yang ngerti gue",
            "kamu spesial banget buat mas",
        ],
        "personal_info": [
            "umurmu piro? kelas piro?",
            "sekolah neng ndi? mulih jam piro?",
            "lo sendirian di rumah sekarang?",
            "bapak ibumu kerja? pulang jam berapa?",
            "omahmu neng ndi? cedhak alun-alun?",
            "di rumah ada siapa aja sekarang?",
        ],
        "secrecy": [
            "ojo kandha ibumu yo, rahasia kita berdua",
            "chat iki hapus wae yo",
            "jangan bilang nyokap lo ya, rahasia",
            "ojo crita karo sopo-sopo",
            "jangan kasih tau bokap lo, ntar dia marah",
            "abis baca langsung hapus ya",
        ],
        "isolation": [
            "pindah ke WA aja yuk biar enak",
            "ortu lo gak ngerti lo, cuma gue yang ngerti",
            "gawe akun anyar wae ben ibumu ra ngerti",
            "temen2 lo gak peduli, gue yang peduli",
        ],
        "offer_credit": [
            "mau pulsa gak? gue kirimin 50rb",
            "tak isiin kuotamu yo",
            "mau diamond ML? gue topupin",
            "nanti tak transfer saldo OVO",
            "kuota lo abis? gue beliin paket data",
            "tak kasih pulsa 100rb, kirim nomormu",
        ],
        "offer_money": [
            "uang sekolahmu tak bayarin",
            "tak kasih duit jajan yo, mau piro?",
            "lo mau HP baru? gue beliin",
            "SPP bulan ini gue yang bayar",
            "tak transfer 200rb buat jajan",
            "nanti gue beliin sepatu baru",
        ],
        "meetup": [
            "sesok nongkrong neng cafe yuk, tak jemput",
            "ketemuan yuk sabtu, gue traktir",
            "dolan neng pantai yuk, tak jemput neng ngarep gang",
            "ketemu di mall aja, jangan ajak siapa2",
            "pulang sekolah tak tunggu neng ngarep yo",
            "main ke kos gue aja, deket kok",
        ],
        "photo_request": [
            "kirim fotomu dong",
            "vc yuk, nyalain kamera",
            "fotoin lo pake baju tidur dong",
            "kirim selfie terbaru lo",
        ],
        "sexual": [
            "nemenin mas semalam yo, dibayar",
            "mau jadi pacar rahasia gue gak?",
            "nginep di hotel sama gue, ntar gue kasih duit",
            "jadi simpenan mas wae, kabeh tak bayari",
        ],
    },
    "en": {
        "flattery": [
            "you're so pretty, not like the other girls",
            "you're really mature for your age",
            "i love talking to you, you're so smart",
            "your smile is cute, bet lots of boys like you",
            "you understand me better than anyone",
            "you're special to me, really",
        ],
        "personal_info": [
            "how old are you? what grade?",
            "which school do you go to? when do you get home?",
            "are you home alone right now?",
            "when do your parents get back from work?",
            "where do you live? near the market?",
            "who's at home with you now?",
        ],
        "secrecy": [
            "but don't tell your mom ok, it's our secret",
            "delete this chat after you read it",
            "this stays between us, don't tell anyone",
            "don't tell your parents, they wouldn't understand",
            "don't tell your friends either",
            "delete our messages after ok",
        ],
        "isolation": [
            "let's move to whatsapp, it's better there",
            "your parents don't get you, only i do",
            "make a new account so your mom can't see",
            "your friends don't really care, i do",
        ],
        "offer_credit": [
            "want some phone credit? i'll send you 50k",
            "i'll top up your data so we can keep chatting",
            "want diamonds for ML? i'll top up your account",
            "i'll send some money to your e-wallet",
            "out of data? i'll buy you a data package",
            "i'll give you credit, just send me your number",
        ],
        "offer_money": [
            "i can pay your school fees",
            "i'll give you pocket money, how much do you want?",
            "want a new phone? i'll buy you one",
            "i'll pay your tuition this month",
            "i'll transfer you 200k to spend",
            "i'll buy you the new clothes you want",
        ],
        "meetup": [
            "let's hang out at the cafe tomorrow, i'll pick you up",
            "let's meet on saturday, my treat",
            "want to go to the beach? i'll pick you up at the corner",
            "let's meet at the mall, don't bring anyone",
            "i'll wait for you outside school",
            "come over to my place, it's close",
        ],
        "photo_request": [
            "send me a photo of you",
            "video call now? turn your camera on",
            "send a pic of you in your pajamas",
            "send me your latest selfie",
        ],
        "sexual": [
            "keep me company for a night, i'll pay you",
            "do you want to be my secret girlfriend?",
            "stay at a hotel with me, i'll give you money",
            "be my sugar baby, i'll pay for everything",
        ],
    },
}

# Neutral lines from the adult, between the signals (small talk that a groomer uses too).
ADULT_SMALL_TALK: dict[str, list[str]] = {
    "id": ["lagi apa?", "udah makan belum?", "hari ini panas banget ya", "main game apa sekarang?",
           "tadi sekolah gimana?", "wkwk iya", "hehe", "oh gitu ya"],
    "kupang": ["lu ada bekin apa?", "su makan ko?", "hari ni panas e", "lu main game apa?",
               "tadi di sekolah bagemana?", "hahaha", "oh begitu ko"],
    "jv": ["lagi ngopo?", "wes mangan durung?", "panas banget ya hari ini", "main game apa?",
           "tadi sekolah gimana?", "wkwk", "oalah"],
    "en": ["what are you doing?", "have you eaten?", "so hot today", "what game are you playing?",
           "how was school?", "haha", "oh i see"],
}

# The child's replies: mostly short and neutral, as children's replies are.
CHILD_REPLIES: dict[str, list[str]] = {
    "id": ["iya", "hehe", "gak tau", "masa sih", "oke om", "lagi tiduran", "udah", "wkwk", "hmm",
           "makasih om", "boleh", "nanti ya"],
    "kupang": ["iya", "hehe", "sonde tau", "masa", "ok om", "ada baring sa", "su", "hahaha",
               "makasih om", "bisa"],
    "jv": ["iyo", "hehe", "ra ngerti", "masa sih", "oke mas", "lagi leyeh-leyeh", "wes", "wkwk",
           "suwun mas", "boleh"],
    "en": ["yeah", "hehe", "idk", "really?", "ok", "just lying down", "yes", "lol", "thanks",
           "maybe later"],
}
