
"""The demo shop: a French catalogue, its customers, orders and refunds, as plain tables.

Every row is here because it reproduces a case met in real myFulfillment accounts
(accents and symbols, a colon or a newline in a name, a name over 100 characters,
products disabled or deleted after they were sold (``status`` 0, a ``_deleted`` SKU
whose invoices name the original SKU; ``DELETED`` and ``DISABLED_AFTER_SALE`` below),
a SKU reused after its product was deleted, look-alike customers, guests, apostrophes, long document
numbers, four VAT rates, zero-rated exports, discounts, split invoices, refunds
with adjustments). ``dataset.py`` turns the tables into API records and computes
every amount, so this file holds facts only.
"""

from __future__ import annotations

from typing import NamedTuple


class ProductRow(NamedTuple):
    """One catalogue entry; prices are excluding VAT."""

    sku: str
    name: str
    type: str
    price: str
    tax_rate: str
    cost: str
    weight: str
    qty: str
    manufacturer: str | None
    category: str
    status: str = "1"
    discontinued: str = "0"


LONG_PRODUCT_NAME = (
    "Coffret gourmand « Les Délices de Provence » : tapenade noire, anchoïade, "
    "huile d’olive vierge extra AOP, herbes de Provence & nougat de Montélimar 500 g"
)

PRODUCTS: tuple[ProductRow, ...] = (
    ProductRow("1005266-1005727", "Pack 3 Cartouches Pod Feelin A1 - 1.20 Ω", "simple",
               "12.90", "20", "5.10", "0.045", "148", "Nevoks", "Cartouches & résistances"),
    ProductRow("1005266", "Pod Feelin A1 - Kit complet", "simple",
               "24.90", "20", "11.20", "0.120", "37", "Nevoks", "Kits & pods"),
    ProductRow("CREME-AMANDE-250", "Crème d’amande", "simple",
               "6.45", "5.5", "2.80", "0.270", "64", "Maison Roucou", "Épicerie fine"),
    ProductRow("KIT-XROS3", "Kit démarrage : Vaporesso XROS 3", "kit",
               "39.90", "20", "17.50", "0.210", "12", "Vaporesso", "Kits & pods"),
    ProductRow("ALIAS-XROS3-NOIR", "Vaporesso XROS 3 noir (alias)", "alias",
               "29.90", "20", "13.00", "0.150", "0", "Vaporesso", "Kits & pods",
               status="0", discontinued="1"),
    ProductRow("GRAVURE", "Gravure personnalisée", "virtual",
               "9.00", "20", "0", "0", "0", None, "Services"),
    ProductRow("GARANTIE-2A", "Extension de garantie 2 ans", "virtual",
               "19.99", "20", "0", "0", "0", None, "Services"),
    ProductRow("CARTE-CADEAU-50", "Carte cadeau 50 €", "virtual",
               "50.00", "0", "0", "0", "0", None, "Cartes cadeaux"),
    ProductRow("COFFRET-PROVENCE", LONG_PRODUCT_NAME, "kit",
               "49.00", "5.5", "24.10", "1.400", "9", "Maison Roucou", "Coffrets"),
    ProductRow("1004532", "E-liquide Fraise 10 ml 3 mg", "simple",
               "5.90", "20", "1.90", "0.030", "230", "Liquidarôme", "E-liquides"),
    ProductRow("1004532_deleted", "E-liquide Fraise 10 ml 3 mg", "simple",
               "5.50", "20", "1.90", "0.030", "0", "Liquidarôme", "E-liquides",
               status="0", discontinued="1"),
    ProductRow("LIVRE-CUISINE-FR", "Livre « La cuisine de nos grand-mères »", "simple",
               "24.00", "5.5", "12.00", "0.650", "18", "Éditions du Terroir", "Livres"),
    ProductRow("MIEL-LAVANDE-500", "Miel de lavande de Provence 500 g", "simple",
               "11.80", "5.5", "6.20", "0.620", "40", "Rucher des Alpilles", "Épicerie fine"),
    ProductRow("PLATEAU-BOURGUIGNON", "Plateau repas traiteur « Bœuf bourguignon »", "simple",
               "14.50", "10", "7.90", "0.800", "25", "Traiteur Lemoine", "Traiteur"),
    ProductRow("TRAVAUX-INSTALLATION", "Travaux d’installation à domicile (forfait)", "virtual",
               "120.00", "10", "0", "0", "0", None, "Services"),
    ProductRow("RES-GTX-0.8", "Résistances GTX 0,8 Ω (x5)", "simple",
               "16.90", "20", "6.40", "0.020", "85", "Vaporesso", "Cartouches & résistances"),
    ProductRow("BATT-18650-3000", "Accu 18650 3000 mAh – 20 A", "simple",
               "8.50", "20", "3.70", "0.048", "120", "Samsung", "Accus & chargeurs"),
    ProductRow("CHARGEUR-USB-C", "Chargeur USB-C 2 A", "simple",
               "9.90", "20", "3.10", "0.060", "75", "Xtar", "Accus & chargeurs"),
    ProductRow("CHARGEUR-MICRO-USB_deleted", "Chargeur micro-USB 1 A", "simple",
               "6.90", "20", "2.50", "0.055", "0", "Xtar", "Accus & chargeurs",
               status="0", discontinued="1"),
    ProductRow("ETUI-CUIR", "Étui en cuir véritable “Heritage”", "simple",
               "19.00", "20", "8.00", "0.090", "22", "Maroquinerie Allard", "Accessoires"),
    ProductRow("BOUGIE-VANILLE", "Bougie parfumée\nVanille Bourbon", "simple",
               "15.00", "20", "5.90", "0.350", "31", "Ateliers Céleste", "Maison"),
    ProductRow("THE-VERT-100", "Thé vert Sencha bio 100 g", "simple",
               "7.20", "5.5", "3.10", "0.110", "58", "Les Jardins de Thé", "Épicerie fine"),
    ProductRow("CAFE-GRAINS-1KG", "Café en grains 100 % Arabica 1 kg", "simple",
               "21.50", "5.5", "10.40", "1.050", "44", "Brûlerie Saint-Jean", "Épicerie fine"),
    ProductRow("CHOCO-NOIR-70", "Tablette chocolat noir 70 % cacao", "simple",
               "3.95", "5.5", "1.45", "0.100", "300", "Chocolaterie Belle-Île", "Épicerie fine"),
    ProductRow("CONFITURE-ABRICOT", "Confiture d’abricots « Bergeron »", "simple",
               "5.20", "5.5", "2.05", "0.370", "90", "Maison Roucou", "Épicerie fine",
               status="0"),
    ProductRow("EAU-MINERALE-6x1.5", "Eau minérale plate 6 x 1,5 L", "simple",
               "3.10", "5.5", "1.60", "9.000", "200", "Source Sainte-Odile", "Boissons"),
    ProductRow("KIT-NOEL", "Coffret Noël : thé + chocolat + bougie", "kit",
               "34.90", "20", "15.30", "0.700", "15", None, "Coffrets"),
    ProductRow("ALIAS-CREME-AMANDE-X3", "Lot de 3 Crème d’amande", "alias",
               "17.90", "5.5", "8.40", "0.810", "0", "Maison Roucou", "Épicerie fine"),
    ProductRow("1005731-1005732", "Pod Feelin A1 – Drip tip résine (x2)", "simple",
               "4.50", "20", "1.20", "0.010", "66", "Nevoks", "Accessoires"),
    ProductRow("ABONNEMENT-MENSUEL", "Abonnement box mensuelle", "virtual",
               "29.00", "20", "0", "0", "0", None, "Abonnements"),
    ProductRow("SAC-KRAFT", "Sac  kraft recyclé ", "simple",
               "0.10", "20", "0.03", "0.020", "5000", None, "Emballages"),
    ProductRow("VERRE-PYREX-5ML", "Réservoir Pyrex 5 ml (rechange)", "simple",
               "3.90", "20", "1.10", "0.015", "140", "Vaporesso", "Accessoires"),
    ProductRow("E-LIQUIDE-MENTHE-50", "E-liquide Menthe glaciale 50 ml 0 mg", "simple",
               "19.90", "20", "6.30", "0.080", "77", "Liquidarôme", "E-liquides"),
    ProductRow("NICOTINE-BOOSTER", "Booster de nicotine 20 mg/ml 10 ml", "simple",
               "1.90", "20", "0.55", "0.025", "600", "Liquidarôme", "E-liquides",
               status="0", discontinued="1"),
    ProductRow("TABLIER-LIN", "Tablier de cuisine en lin lavé – taille unique", "simple",
               "32.00", "20", "13.00", "0.300", "16", "Atelier Linge & Co", "Maison"),
    ProductRow("COUTEAU-OPINEL-8", "Couteau Opinel n°8 hêtre", "simple",
               "13.50", "20", "6.75", "0.070", "48", "Opinel", "Maison"),
    ProductRow("HUILE-OLIVE-AOP-75CL", "Huile d’olive vierge extra AOP 75 cl", "simple",
               "18.40", "5.5", "9.10", "1.150", "52", "Moulin de la Vallée", "Épicerie fine"),
    ProductRow("ECHANTILLON-OFFERT", "Échantillon offert", "simple",
               "0.00", "20", "0.20", "0.010", "900", None, "Échantillons"),
    ProductRow("FEEL-A1-POD3", "Pod Feelin A1 – Pods de rechange 2 ml (x3)", "simple",
               "11.90", "20", "4.60", "0.030", "54", "Nevoks", "Cartouches & résistances"),
)


#: Products disabled at the source after they were sold (their documents name them).
DISABLED_AFTER_SALE = ("ALIAS-XROS3-NOIR", "CONFITURE-ABRICOT", "NICOTINE-BOOSTER")
#: myFulfillment renames a deleted product's SKU with this suffix; documents keep the SKU.
DELETED_SUFFIX = "_deleted"
#: The customer an accountant made inactive in QuickBooks, who buys again
#: (``quickbooks_emulator`` dataset ``demo`` holds it inactive).
INACTIVE_IN_QUICKBOOKS = "bernard"


class Customer(NamedTuple):
    """A buyer; ``customer_id`` is None for a guest checkout."""

    customer_id: str | None
    email: str
    firstname: str
    lastname: str
    company: str | None
    street: tuple[str, ...]
    city: str
    postcode: str
    region: str | None
    country_id: str
    telephone: str | None


LONG_STREET_LINE = (
    "Résidence Les Jardins de l’Abbaye, Bâtiment C, Escalier 4, Appartement 1207, "
    "147 avenue du Maréchal Jean-Marie-Gabriel de Lattre de Tassigny"
)

CUSTOMERS: dict[str, Customer] = {
    "dupont_paris": Customer("101", "jean.dupont@example.fr", "Jean", "Dupont", None,
                             ("12 rue de Rivoli",), "Paris", "75004", "Île-de-France", "FR",
                             "+33 1 42 00 00 01"),
    "dupont_lyon": Customer("102", "j.dupont@laposte.example", "Jean", "Dupont",
                            "Dupont & Fils SARL", ("3 quai Saint-Vincent", "2e étage"), "Lyon",
                            "69001", "Auvergne-Rhône-Alpes", "FR", "04 78 00 00 02"),
    "obrien": Customer(None, "siobhan.obrien@example.co.uk", "Siobhán", "O'Brien", None,
                       ("Flat 2", "27 Camden High Street"), "London", "NW1 7JE", None, "GB",
                       "+44 20 7946 0000"),
    "dartagnan": Customer("104", "dartagnan@example.fr", "Charles", "D’Artagnan",
                          "Mousquetaires d’Artagnan SAS", (LONG_STREET_LINE, "BP 42"), "Auch",
                          "32000", "Occitanie", "FR", "05 62 00 00 04"),
    "lefevre": Customer("105", "mh.lefevre@example.fr", "Marie-Hélène", "Lefèvre", None,
                        ("8 place Kléber", "Bâtiment B, 3ème étage"), "Strasbourg", "67000",
                        "Grand Est", "FR", None),
    "muller": Customer(None, "Zoe.Muller@Example.BE", "Zoë", "Müller", None,
                       ("Rue de l’Étuve 52",), "Bruxelles", "1000", None, "BE",
                       "+32 2 000 00 06"),
    "nguyen": Customer("106", "francois.nguyen@example.fr", "François", "Nguyễn", None,
                       ("45 La Canebière",), "Marseille", "13001",
                       "Provence-Alpes-Côte d’Azur", "FR", "06 00 00 00 07"),
    "perez": Customer(None, "ana.perez@example.es", "Ana Lucía", "Pérez-García", None,
                      ("Calle de Alcalá 120", "3º izquierda"), "Madrid", "28009", "Madrid", "ES",
                      "+34 910 000 008"),
    "martin": Customer("107", "claire.martin@amisdugout.example", "Claire", "Martin",
                       "Association « Les Amis du Goût »", ("1 rue des Halles",), "Tours",
                       "37000", "Centre-Val de Loire", "FR", "02 47 00 00 09"),
    "bernard": Customer("108", "eloise.bernard@example.fr", "Éloïse", "Bernard", None,
                        ("19 cours de l’Intendance",), "Bordeaux", "33000",
                        "Nouvelle-Aquitaine", "FR", "05 56 00 00 10"),
    "petit": Customer("109", "lea.petit-renaud@example.fr", "Léa", "Petit-Renaud", None,
                      ("7 allée des Tilleuls",), "Nantes", "44000", "Pays de la Loire", "FR",
                      None),
    "girard": Customer(None, "noel.girard@example.fr", "Noël", "Girard", None,
                       ("5 impasse du Moulin",), "Annecy", "74000", "Auvergne-Rhône-Alpes", "FR",
                       "04 50 00 00 12"),
}


class OrderRow(NamedTuple):
    """An order and how it was invoiced.

    ``lines`` are ``(sku, qty, discount)``; ``split`` lists the line indexes of each
    invoice when the order was invoiced in several parts (shipping goes on the first);
    ``invoice_state`` None means the order was never invoiced; ``zero_rated`` marks an
    export outside the EU, invoiced without VAT; ``email`` overrides the customer's
    address as typed at checkout (guests type it differently from one order to the next).
    """

    number: str
    customer: str
    status: str
    lines: tuple[tuple[str, str, str], ...]
    shipping: str = "0"
    invoice_state: str | None = "paid"
    split: tuple[tuple[int, ...], ...] | None = None
    zero_rated: bool = False
    email: str | None = None
    invoice_number: str | None = None


LONG_ORDER_NUMBER = "AMZ-FR-402-8841207-5563911"

ORDERS: tuple[OrderRow, ...] = (
    OrderRow("100000101", "dupont_paris", "complete",
             (("1005266-1005727", "2", "0"), ("RES-GTX-0.8", "1", "0")), "4.90"),
    OrderRow("100000102", "dupont_lyon", "complete",
             (("CREME-AMANDE-250", "3", "0"), ("MIEL-LAVANDE-500", "1", "0"),
              ("THE-VERT-100", "2", "0")), "6.90"),
    OrderRow("100000103", "obrien", "complete",
             (("KIT-XROS3", "1", "0"), ("E-LIQUIDE-MENTHE-50", "2", "0")), "12.50",
             zero_rated=True),
    OrderRow("100000104", "dartagnan", "complete",
             (("COFFRET-PROVENCE", "1", "5.00"), ("HUILE-OLIVE-AOP-75CL", "2", "0"),
              ("PLATEAU-BOURGUIGNON", "2", "0")), "9.90"),
    OrderRow("100000105", "lefevre", "complete",
             (("CARTE-CADEAU-50", "1", "0"), ("GRAVURE", "1", "0"), ("ETUI-CUIR", "1", "0"))),
    OrderRow("100000106", "muller", "complete",
             (("1005266", "1", "2.49"), ("1005731-1005732", "3", "0"),
              ("ECHANTILLON-OFFERT", "1", "0")), "5.90"),
    OrderRow("100000107", "nguyen", "complete",
             (("CAFE-GRAINS-1KG", "2", "0"), ("CHOCO-NOIR-70", "5", "1.98"),
              ("SAC-KRAFT", "3", "0")), "7.50"),
    OrderRow("100000108", "perez", "processing",
             (("TABLIER-LIN", "1", "0"), ("COUTEAU-OPINEL-8", "2", "0")), "11.00",
             invoice_state="open"),
    OrderRow("100000109", "martin", "complete",
             (("TRAVAUX-INSTALLATION", "1", "0"), ("GARANTIE-2A", "1", "0"),
              ("ALIAS-XROS3-NOIR", "1", "0"))),
    OrderRow(LONG_ORDER_NUMBER, "girard", "complete",
             (("BATT-18650-3000", "2", "0"), ("CHARGEUR-USB-C", "1", "0")), "3.99",
             invoice_number="FAC-" + LONG_ORDER_NUMBER),
    OrderRow("100000111", "dupont_paris", "complete",
             (("KIT-NOEL", "1", "3.49"), ("CONFITURE-ABRICOT", "2", "0"),
              ("LIVRE-CUISINE-FR", "1", "0")), "8.25", split=((0, 1), (2,))),
    OrderRow("100000112", "muller", "complete",
             (("ALIAS-CREME-AMANDE-X3", "1", "0"), ("EAU-MINERALE-6x1.5", "2", "0")), "9.90",
             email="zoe.muller@example.be"),
    OrderRow("100000113", "bernard", "pending",
             (("ABONNEMENT-MENSUEL", "1", "0"),), invoice_state=None),
    OrderRow("100000114", "petit", "canceled",
             (("1004532", "3", "0"),), "4.90", invoice_state=None),
    OrderRow("100000115", "lefevre", "complete",
             (("BOUGIE-VANILLE", "2", "0"), ("THE-VERT-100", "1", "0"),
              ("VERRE-PYREX-5ML", "4", "1.56")), "6.90"),
    OrderRow("100000116", "dartagnan", "complete",
             (("NICOTINE-BOOSTER", "10", "0"), ("E-LIQUIDE-MENTHE-50", "1", "0"),
              ("1004532", "2", "0")), "4.90"),
    OrderRow("100000117", "dupont_lyon", "closed",
             (("COUTEAU-OPINEL-8", "1", "0"), ("TABLIER-LIN", "1", "0")), "7.90"),
    OrderRow("100000118", "nguyen", "complete",
             (("PLATEAU-BOURGUIGNON", "3", "4.35"), ("CAFE-GRAINS-1KG", "1", "0"))),
    OrderRow("100000119", "perez", "complete",
             (("MIEL-LAVANDE-500", "2", "0"), ("HUILE-OLIVE-AOP-75CL", "1", "0"),
              ("CHOCO-NOIR-70", "3", "0")), "8.90"),
    OrderRow("100000120", "obrien", "complete",
             (("1005266-1005727", "5", "0"),), "12.50", zero_rated=True),
    OrderRow("100000121", "martin", "complete",
             (("KIT-XROS3", "2", "7.98"), ("RES-GTX-0.8", "2", "0"),
              ("BATT-18650-3000", "4", "0"))),
    # Paid by bank transfer, not received yet: the invoice is open.
    OrderRow("100000122", "bernard", "complete",
             (("GRAVURE", "2", "0"), ("ETUI-CUIR", "2", "0")), "5.90", invoice_state="open"),
    OrderRow("100000123", "petit", "canceled",
             (("CHARGEUR-USB-C", "1", "0"),), "4.90", invoice_state="canceled"),
    OrderRow("100000124", "girard", "complete",
             (("COFFRET-PROVENCE", "2", "0"), ("CONFITURE-ABRICOT", "4", "2.08")), "9.90"),
    OrderRow("100000125", "dupont_paris", "complete",
             (("SAC-KRAFT", "7", "0"), ("1005731-1005732", "1", "0"),
              ("E-LIQUIDE-MENTHE-50", "3", "5.97")), "4.90"),
    OrderRow("100000126", "lefevre", "processing",
             (("LIVRE-CUISINE-FR", "2", "0"), ("CARTE-CADEAU-50", "2", "0")),
             invoice_state="open"),
    OrderRow("100000127", "dartagnan", "complete",
             (("ALIAS-CREME-AMANDE-X3", "2", "0"), ("CREME-AMANDE-250", "1", "0")), "6.90"),
    OrderRow("100000128", "nguyen", "pending",
             (("THE-VERT-100", "1", "0"),), "4.90", invoice_state=None),
    OrderRow("100000129", "dupont_lyon", "complete",
             (("ABONNEMENT-MENSUEL", "1", "0"), ("GARANTIE-2A", "1", "0"))),
    # Open (bank transfer awaited); the demo and the e2e test mark it paid later
    # (PAID_LATER), so a second run of the invoices feed writes its payment.
    OrderRow("100000130", "perez", "complete",
             (("EAU-MINERALE-6x1.5", "3", "0"), ("CHOCO-NOIR-70", "2", "0"),
              ("1005266", "1", "0")), "7.90", invoice_state="open"),
    OrderRow("100000131", "martin", "complete",
             (("TRAVAUX-INSTALLATION", "2", "15.00"), ("KIT-NOEL", "1", "0"))),
    OrderRow("100000132", "bernard", "complete",
             (("1005266-1005727", "1", "0"), ("ECHANTILLON-OFFERT", "2", "0")), "4.90"),
    # Sold before the product was deleted (its SKU is now CHARGEUR-MICRO-USB_deleted).
    OrderRow("100000133", "girard", "complete",
             (("CHARGEUR-MICRO-USB", "2", "0"), ("BATT-18650-3000", "1", "0")), "4.90"),
)


class CreditMemoRow(NamedTuple):
    """A refund against one invoice of an order (``part`` picks the split invoice).

    ``lines`` are ``(sku, qty)`` refunded; the line discount is refunded pro rata.
    """

    order: str
    lines: tuple[tuple[str, str], ...]
    days_after: int
    refund_shipping: bool = False
    adjustment_positive: str = "0"
    adjustment_negative: str = "0"
    part: int = 0
    number: str | None = None


CREDIT_MEMOS: tuple[CreditMemoRow, ...] = (
    CreditMemoRow("100000101", (("1005266-1005727", "1"),), 3, adjustment_positive="2.00",
                  adjustment_negative="0.50"),
    CreditMemoRow("100000104", (("HUILE-OLIVE-AOP-75CL", "1"),), 6, adjustment_positive="5.00"),
    CreditMemoRow(LONG_ORDER_NUMBER, (("CHARGEUR-USB-C", "1"),), 4,
                  number="AV-" + LONG_ORDER_NUMBER),
    CreditMemoRow("100000111", (("LIVRE-CUISINE-FR", "1"),), 5, adjustment_negative="0.50",
                  part=1),
    CreditMemoRow("100000117", (("COUTEAU-OPINEL-8", "1"), ("TABLIER-LIN", "1")), 2,
                  refund_shipping=True),
    CreditMemoRow("100000120", (("1005266-1005727", "2"),), 3, refund_shipping=True),
    CreditMemoRow("100000121", (("KIT-XROS3", "1"),), 7, adjustment_negative="3.50"),
    # Refunds of products disabled or deleted since the sale.
    CreditMemoRow("100000116", (("NICOTINE-BOOSTER", "2"),), 3),
    CreditMemoRow("100000133", (("CHARGEUR-MICRO-USB", "1"),), 2),
    # A refund of an open invoice (not paid yet): applied to it, its balance drops.
    CreditMemoRow("100000126", (("CARTE-CADEAU-50", "1"),), 12),
)
#: The order whose open invoice is paid later (its ``state`` becomes ``paid``).
PAID_LATER = "100000130"
