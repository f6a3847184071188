"""Small built-in name lists for synthetic demo citizens (no real person behind them)."""

from __future__ import annotations

FIRST_NAMES = (
    "Ada", "Ahmed", "Aiko", "Alba", "Amara", "Ana", "Arjun", "Astrid", "Bea", "Bruno",
    "Carmen", "Chen", "Chloe", "Dara", "David", "Elif", "Emil", "Eva", "Farid", "Femi",
    "Greta", "Hana", "Hugo", "Ines", "Ivan", "Jonas", "Kofi", "Lea", "Leila", "Lucas",
    "Maya", "Mateo", "Mina", "Nadia", "Noah", "Olga", "Omar", "Paula", "Priya", "Rafael",
    "Rosa", "Sami", "Sara", "Sofia", "Tariq", "Theo", "Uma", "Vera", "Yusuf", "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Abbott", "Andersen", "Baker", "Bianchi", "Costa", "Dubois", "Eriksson", "Fischer",
    "Garcia", "Haddad", "Ito", "Jensen", "Kowalski", "Larsen", "Lopez", "Mensah", "Meyer",
    "Moreau", "Nakamura", "Novak", "Okafor", "Olsen", "Patel", "Petrov", "Quinn", "Rossi",
    "Santos", "Schmidt", "Silva", "Smith", "Tanaka", "Torres", "Usman", "Varga", "Wang",
    "Weber", "Williams", "Yilmaz", "Young", "Zhang",
)  # fmt: skip

EMAIL_DOMAIN = "mail.example"  # RFC 2606: never a real mailbox
