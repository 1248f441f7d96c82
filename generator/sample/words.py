"""Realistic-looking text for sample rows: names, emails, slugs, titles, sentences, URLs,
phones and the like, each a function of a random.Random so output is fixed by the seed."""
from __future__ import annotations

import random
import string

FIRST = ("Ada", "Alan", "Alice", "Amara", "Ana", "Ben", "Bruno", "Carla", "Chen", "Chloe", "Daniel", "Diego", "Elena",
         "Emma", "Farah", "Felix", "Grace", "Hana", "Hugo", "Ines", "Ivan", "Jade", "James", "Jonas", "Julia", "Kai",
         "Keiko", "Lara", "Leo", "Lina", "Lucas", "Maya", "Mateo", "Mia", "Nadia", "Noah", "Nora", "Omar", "Olga",
         "Paula", "Priya", "Rafael", "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Tom", "Uma", "Victor", "Wei", "Yara",
         "Yusuf", "Zoe")
LAST = ("Adams", "Ahmed", "Alvarez", "Berg", "Brown", "Chen", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Gupta",
        "Hansen", "Ito", "Jensen", "Kim", "Kowalski", "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Nakamura",
        "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Petrov", "Quinn", "Rossi", "Santos", "Schmidt", "Silva",
        "Singh", "Smith", "Tanaka", "Torres", "Van Dijk", "Wagner", "Walker", "Weber", "Wong", "Yilmaz", "Zhang")
WORDS = ("account", "action", "agent", "alert", "answer", "api", "app", "archive", "audit", "auto", "backup", "basic",
         "billing", "board", "brand", "budget", "build", "bulk", "calendar", "campaign", "card", "cart", "chat",
         "check", "client", "cloud", "code", "contact", "content", "contract", "cost", "crm", "customer", "daily",
         "dashboard", "data", "deal", "delivery", "demo", "design", "digest", "document", "draft", "email", "event",
         "export", "feedback", "file", "finance", "flow", "form", "forecast", "goal", "guide", "help", "import",
         "inbox", "insight", "invoice", "issue", "job", "lead", "ledger", "link", "list", "log", "market", "meeting",
         "message", "metric", "model", "monthly", "note", "notify", "onboarding", "order", "owner", "page", "partner",
         "payment", "pipeline", "plan", "policy", "portal", "priority", "product", "profile", "project", "quote",
         "report", "request", "review", "sales", "schedule", "search", "service", "setup", "share", "signal", "slack",
         "source", "sprint", "status", "stock", "store", "summary", "support", "survey", "sync", "task", "team",
         "template", "ticket", "timeline", "tool", "tracker", "trial", "update", "upload", "usage", "user", "vendor",
         "video", "weekly", "widget", "workflow")
VERBS = ("adds", "answers", "builds", "checks", "collects", "creates", "exports", "finds", "helps", "keeps", "links",
         "moves", "routes", "saves", "sends", "shows", "sorts", "syncs", "tracks", "updates")
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com", "test.example")
TLDS = ("com", "io", "net", "org", "app", "dev")
COMPANY_TAILS = ("Labs", "Group", "Systems", "Studio", "Works", "Partners", "Co", "Analytics", "Cloud", "Digital")
CITIES = ("Amsterdam", "Austin", "Berlin", "Bogota", "Cairo", "Chicago", "Dublin", "Lagos", "Lisbon", "London", "Lyon",
          "Madrid", "Melbourne", "Mumbai", "Nairobi", "Osaka", "Oslo", "Paris", "Prague", "Seoul", "Toronto", "Zurich")
COUNTRIES = ("AR", "AU", "BR", "CA", "CH", "DE", "EG", "ES", "FR", "GB", "IE", "IN", "IT", "JP", "KE", "KR", "MX", "NG",
             "NL", "NO", "PT", "SE", "US")
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "BRL", "INR")
MIMES = ("application/pdf", "text/plain", "text/markdown", "text/html", "image/png", "image/jpeg",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "text/csv")
EXTENSIONS = ("pdf", "txt", "md", "html", "png", "jpg", "docx", "csv")
AGENTS = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
          "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
          "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
          "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148")
HEX = "0123456789abcdef"
ALNUM = string.ascii_uppercase + string.digits


def first_name(r: random.Random) -> str:
    return r.choice(FIRST)


def last_name(r: random.Random) -> str:
    return r.choice(LAST)


def name(r: random.Random) -> str:
    return f"{r.choice(FIRST)} {r.choice(LAST)}"


def username(r: random.Random) -> str:
    return f"{r.choice(FIRST).lower()}_{r.choice(LAST).lower().replace(' ', '')}"


def email(r: random.Random) -> str:
    return f"{r.choice(FIRST).lower()}.{r.choice(LAST).lower().replace(' ', '')}@{r.choice(DOMAINS)}"


def company(r: random.Random) -> str:
    return f"{r.choice(LAST)} {r.choice(COMPANY_TAILS)}"


def word(r: random.Random) -> str:
    return r.choice(WORDS)


def words(r: random.Random, low: int = 1, high: int = 3) -> str:
    return " ".join(r.choices(WORDS, k=r.randint(low, high)))


def title(r: random.Random) -> str:
    return " ".join(w.capitalize() for w in r.choices(WORDS, k=r.randint(2, 4)))


def sentence(r: random.Random) -> str:
    return f"{r.choice(WORDS).capitalize()} {r.choice(VERBS)} {words(r, 2, 6)}."


def paragraph(r: random.Random) -> str:
    return " ".join(sentence(r) for _ in range(r.randint(2, 5)))


def text(r: random.Random, low: int = 20, high: int = 200) -> str:
    """Sentences of six words (~45 characters) cut to a length between low and high."""
    want = r.randint(low, max(low, high))
    n = want // 7 + 6
    picks = r.choices(WORDS, k=n)
    for i in range(0, n, 6):                        # a sentence starts every sixth word
        picks[i] = picks[i].capitalize()
        if i:
            picks[i - 1] += "."
    out = " ".join(picks)[:want].rstrip()
    return out + "x" * (low - len(out)) if len(out) < low else out


def slug(r: random.Random) -> str:
    return "-".join(r.choice(WORDS) for _ in range(r.randint(2, 3)))


def domain(r: random.Random) -> str:
    return f"{r.choice(LAST).lower().replace(' ', '')}-{r.choice(WORDS)}.{r.choice(TLDS)}"


def url(r: random.Random) -> str:
    return f"https://{domain(r)}/{slug(r)}"


def phone(r: random.Random) -> str:
    return f"+1 {r.randint(200, 989)} {r.randint(200, 999)} {r.randint(1000, 9999)}"


def hexstr(r: random.Random, n: int = 32) -> str:
    return "".join(r.choice(HEX) for _ in range(n))


def token(r: random.Random, n: int = 32) -> str:
    return "".join(r.choice(string.ascii_letters + string.digits) for _ in range(n))


def code(r: random.Random, n: int = 8) -> str:
    return "".join(r.choice(ALNUM) for _ in range(n))


def key(r: random.Random) -> str:
    return f"{r.choice(WORDS)}_{r.choice(WORDS)}"


def ip(r: random.Random) -> str:
    return f"{r.randint(11, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def file_path(r: random.Random) -> str:
    return f"uploads/{r.randint(2020, 2025)}/{slug(r)}.{r.choice(EXTENSIONS)}"


def user_agent(r: random.Random) -> str:
    return r.choice(AGENTS)


def mime(r: random.Random) -> str:
    return r.choice(MIMES)


def city(r: random.Random) -> str:
    return r.choice(CITIES)


def country(r: random.Random) -> str:
    return r.choice(COUNTRIES)


def color(r: random.Random) -> str:
    return r.choice(COLORS)


def currency(r: random.Random) -> str:
    return r.choice(CURRENCIES)


# kind -> maker(r); makers with a length take (r, n) or (r, low, high) and are wrapped by columns.py
MAKERS = {
    "email": email, "username": username, "name": name, "first_name": first_name, "last_name": last_name,
    "company": company, "title": title, "sentence": sentence, "paragraph": paragraph, "word": word, "slug": slug,
    "url": url, "domain": domain, "phone": phone, "ip": ip, "user_agent": user_agent, "file_path": file_path,
    "mime": mime, "country": country, "city": city, "color": color, "currency": currency, "key": key,
}
