"""Names, identities and the realistic noise providers add when they type them."""

from __future__ import annotations

from datetime import date

FIRST = {
    "hisp": ["Maria", "Ana", "Carmen", "Rosa", "Yesenia", "Jessica", "Daniela", "Gabriela", "Isabel", "Lucía",
             "Marisol", "Yolanda", "Veronica", "Alejandra", "Guadalupe", "Patricia", "Sofia", "Valeria", "Paola",
             "Karina", "Leticia", "Elena", "Adriana", "Monica", "Sandra", "Luz", "Milagros", "Ingrid", "Beatriz", "Inés", "Belén"],
    "zh": ["Mei", "Li", "Xiu", "Ying", "Hui", "Jing", "Lan", "Fang", "Yan", "Hong", "Ling", "Qing", "Xia", "Yu",
           "Zhen", "Min", "Na", "Ping", "Jie", "Xiaoling", "Meiling", "Yuting"],
    "ko": ["Ji-yeon", "Min-ji", "Seo-yeon", "Soo-jin", "Hye-jin", "Eun-ji", "Yoon-hee", "Ji-hye", "Su-bin",
           "Na-young", "Ha-eun", "Da-eun"],
    "gen": ["Jennifer", "Elizabeth", "Jessica", "Ashley", "Amanda", "Stephanie", "Nicole", "Melissa", "Michelle",
            "Tiffany", "Christina", "Samantha", "Rebecca", "Katherine", "Kimberly", "Crystal", "Brittany",
            "Danielle", "Angela", "Heather", "Tanisha", "Keisha", "Ebony", "Latoya", "Shanice", "Aaliyah",
            "Destiny", "Jasmine", "Diamond", "Precious", "Monique", "Tamika", "Alexandra", "Victoria", "Margaret",
            "Deborah", "Susan", "Christine", "Kelly", "Lauren", "Megan", "Rachel", "Sarah", "Emily", "Hannah",
            "Olivia", "Natalie", "Andrea", "Erica", "Tara", "Robin", "Dana", "Tracy", "Denise", "Valerie", "Olga",
            "Natasha", "Svetlana", "Irina", "Anastasia", "Chantal", "Nadia", "Imani", "Kiara", "Taylor"],
    "male": ["Michael", "Christopher", "Anthony", "David", "Jose", "Luis", "Carlos", "James", "Robert", "Kevin",
             "Jason", "Brian", "Marcus", "Andre"],
}
LAST = {
    "hisp": ["Garcia", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez",
             "Torres", "Flores", "Rivera", "Gomez", "Diaz", "Cruz", "Morales", "Reyes", "Ortiz", "Gutierrez",
             "Chavez", "Ramos", "Ruiz", "Alvarez", "Mendoza", "Castillo", "Jimenez", "Vasquez", "Romero", "Herrera",
             "Medina", "Aguilar", "Vargas", "Castro", "Fernandez", "Guzman", "Santiago", "Peña", "Rosario", "Colon",
             "Núñez", "Muñoz", "Ibáñez", "Velazquez", "Figueroa", "Soto", "Delgado", "Espinal", "Batista", "Almonte", "Paulino"],
    "zh": ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu",
           "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Deng", "Feng", "Cao"],
    "ko": ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin", "Seo", "Kwon",
           "Hwang", "Ahn", "Song", "Yoo"],
    "gen": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Thomas",
            "Taylor", "Moore", "Jackson", "Martin", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson",
            "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill",
            "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Parker", "Collins",
            "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Bailey",
            "Reed", "Kelly", "Howard", "Cox", "Ward", "Richardson", "Watson", "Brooks", "Wood", "James", "Bennett",
            "Gray", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster", "Powell", "Jenkins", "Perry",
            "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes", "Fisher", "Washington",
            "Simmons", "Graham", "Jefferson", "Ivanova", "Petrova", "Kowalski", "O'Brien", "McCarthy", "Murray",
            "Pierre", "Jean-Baptiste", "Joseph", "Charles", "Francois", "Okafor", "Mensah", "Diallo", "Baptiste",
            "Greene", "Holloway", "Whitaker", "Vaughn", "Dawson", "Gallagher", "Novak", "Popescu", "Horvath"],
}
NICKNAMES = {
    "Elizabeth": ["Liz", "Beth", "Betty", "Eliza"], "Jennifer": ["Jen", "Jenny"], "Maria": ["Mary"],
    "Jessica": ["Jess", "Jessie"], "Katherine": ["Kate", "Kathy", "Katie"], "Kimberly": ["Kim"],
    "Christina": ["Tina", "Chris"], "Samantha": ["Sam", "Sammy"], "Rebecca": ["Becky", "Becca"],
    "Stephanie": ["Steph"], "Alexandra": ["Alex", "Sasha"], "Victoria": ["Vicky", "Tori"],
    "Margaret": ["Maggie", "Peggy"], "Patricia": ["Pat", "Patty"], "Deborah": ["Debbie", "Deb"],
    "Susan": ["Sue"], "Christine": ["Chris"], "Danielle": ["Dani"], "Gabriela": ["Gaby"], "Guadalupe": ["Lupe"],
    "Isabel": ["Isa"], "Daniela": ["Dani"], "Alejandra": ["Ale"], "Natalie": ["Nat"], "Michael": ["Mike"],
    "Christopher": ["Chris"], "Anthony": ["Tony"], "David": ["Dave"], "Robert": ["Rob", "Bob"], "James": ["Jim"],
    "Natasha": ["Tasha"], "Anastasia": ["Nastya"], "Svetlana": ["Sveta"], "Amanda": ["Mandy"],
    "Melissa": ["Missy"], "Ashley": ["Ash"], "Tiffany": ["Tiff"], "Valerie": ["Val"], "Yolanda": ["Yoli"],
    "Veronica": ["Ronnie"], "Angela": ["Angie"], "Andrea": ["Andie"], "Monica": ["Moni"],
}

# (group, weight, race choices, ethnicity choices, language choices) — choices are (value, p)
GROUPS = [
    ("hisp", 0.32, [("WHITE", .4), ("BLACK", .15), ("OTHER", .35), ("UNKNOWN", .1)],
     [("HISPANIC", .92), ("UNKNOWN", .08)], [("es", .55), ("en", .40), (None, .05)]),
    ("black", 0.34, [("BLACK", .95), ("UNKNOWN", .05)], [("NOT_HISPANIC", .9), ("UNKNOWN", .1)],
     [("en", .9), ("ht", .04), ("fr", .02), (None, .04)]),
    ("white", 0.16, [("WHITE", .95), ("UNKNOWN", .05)], [("NOT_HISPANIC", .9), ("UNKNOWN", .1)],
     [("en", .8), ("ru", .08), ("pl", .04), (None, .08)]),
    ("zh", 0.09, [("ASIAN", 1.0)], [("NOT_HISPANIC", .95), ("UNKNOWN", .05)], [("zh", .8), ("en", .15), (None, .05)]),
    ("ko", 0.04, [("ASIAN", 1.0)], [("NOT_HISPANIC", .95), ("UNKNOWN", .05)], [("ko", .8), ("en", .15), (None, .05)]),
    ("other", 0.05, [("AMERICAN_INDIAN", .3), ("PACIFIC_ISLANDER", .2), ("OTHER", .3), ("UNKNOWN", .2)],
     [("NOT_HISPANIC", .7), ("UNKNOWN", .3)], [("en", .6), ("th", .2), ("bn", .1), (None, .1)]),
]
SEX_GENDER = [(("F", "WOMAN"), .84), (("F", "UNKNOWN"), .03), (("M", "TRANS_WOMAN"), .05), (("M", "MAN"), .05),
              (("X", "NONBINARY"), .01), (("F", "TRANS_MAN"), .005), (("U", "UNKNOWN"), .015)]

KEYBOARD_NEAR = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj", "i": "uo", "j": "hk",
    "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o", "q": "w", "r": "et", "s": "ad", "t": "ry",
    "u": "yi", "v": "cb", "w": "qe", "x": "zc", "y": "tu", "z": "x",
}


def pick(rng, choices):
    """choices: [(value, p), ...] with p summing to ~1."""
    r = rng.random()
    acc = 0.0
    for v, p in choices:
        acc += p
        if r < acc:
            return v
    return choices[-1][0]


def new_identity(rng) -> dict:
    grp = pick(rng, [(g[0], g[1]) for g in GROUPS])
    g = next(x for x in GROUPS if x[0] == grp)
    sex, gender = pick(rng, SEX_GENDER)
    race = pick(rng, g[2])
    eth = pick(rng, g[3])
    lang = pick(rng, g[4])
    if gender == "MAN" or gender == "TRANS_MAN":
        first = rng.choice(FIRST["male"])
    elif grp in ("hisp", "zh", "ko"):
        first = rng.choice(FIRST[grp]) if rng.random() < 0.85 else rng.choice(FIRST["gen"])
    else:
        first = rng.choice(FIRST["gen"])
    last = rng.choice(LAST[grp]) if grp in ("hisp", "zh", "ko") else rng.choice(LAST["gen"])
    if grp == "hisp" and rng.random() < 0.12:  # compound surname
        other = rng.choice(LAST["hisp"])
        if other != last:
            last = f"{last}-{other}"
    return dict(first=first, last=last, sex=sex, gender=gender, race=race, ethnicity=eth, language=lang)


def name_typo(rng, name: str) -> str:
    if len(name) < 4:
        return name + name[-1]
    i = rng.randint(1, len(name) - 2)
    kind = rng.randrange(4)
    ch = name[i]
    if kind == 0 and ch.lower() in KEYBOARD_NEAR:  # substitution by a neighbouring key
        sub = rng.choice(KEYBOARD_NEAR[ch.lower()])
        return name[:i] + (sub.upper() if ch.isupper() else sub) + name[i + 1:]
    if kind == 1:  # deletion
        return name[:i] + name[i + 1:]
    if kind == 2:  # doubled letter
        return name[:i] + ch + name[i:]
    # transposition of two neighbours
    return name[:i] + name[i + 1] + name[i] + name[i + 2:]


def dob_typo(rng, dob: date) -> tuple[date, str]:
    if dob.day <= 12 and dob.day != dob.month and rng.random() < 0.5:
        return date(dob.year, dob.day, dob.month), "dob_transposed"
    r = rng.random()
    if r < 0.6:
        d = dob.day + rng.choice((-1, 1))
        if 1 <= d <= 28:
            return date(dob.year, dob.month, d), "dob_day_typo"
    y = dob.year + rng.choice((-1, 1))
    try:
        return date(y, dob.month, dob.day), "dob_year_typo"
    except ValueError:
        return date(y, dob.month, 28), "dob_year_typo"


def typed_identity(rng, first: str, last: str, dob: date, params: dict) -> tuple[str, str, date, str]:
    """What provider staff type: at most one error per record; never both name and dob."""
    r = rng.random()
    p = params
    acc = p["nick"]
    if r < acc:
        if first in NICKNAMES:
            return rng.choice(NICKNAMES[first]), last, dob, "nickname"
        return first, last, dob, ""
    acc += p["swap"]
    if r < acc:
        return last, first, dob, "swapped_names"
    acc += p["name_typo"]
    if r < acc:
        if rng.random() < 0.5:
            return name_typo(rng, first), last, dob, "first_name_typo"
        return first, name_typo(rng, last), dob, "last_name_typo"
    acc += p["dob_typo"]
    if r < acc:
        d, what = dob_typo(rng, dob)
        return first, last, d, what
    return first, last, dob, ""


def docket_variant(rng, docket: str, probs: dict) -> tuple[str | None, str]:
    kind = None
    r = rng.random()
    acc = 0.0
    for k, p in probs.items():
        acc += p
        if r < acc:
            kind = k
            break
    kind = kind or "exact"
    if kind == "exact":
        return docket, "exact"
    if kind == "lower":
        return docket.lower(), "lower"
    if kind == "noprefix":
        return docket[3:], "noprefix"
    if kind == "spaces":
        # CR-004211-19QN -> 'CR 004211 19QN' or ' CR-004211-19QN ' or 'CR-004211- 19QN'
        v = rng.randrange(3)
        if v == 0:
            return docket.replace("-", " "), "spaces"
        if v == 1:
            return f" {docket} ", "spaces"
        return docket[:10] + " " + docket[10:], "spaces"
    return None, "null"
