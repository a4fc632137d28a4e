"""Active ISO 4217 alphabetic currency codes (list one of the standard).

Checked against Debian's iso-codes 4.15.0, then updated for later
amendments: HRK removed (Croatia adopted the euro on 2023-01-01), ZWG
(Zimbabwe Gold, 2024) and XCG (Caribbean guilder, 2025) added. Codes being
phased out while their successor is introduced (ANG, CUC, SLL, ZWL) are kept,
so that a shop still pricing in them is not flagged. The X codes (precious
metals, SDR, XTS for testing, XXX for no currency) are in the list because
the standard lists them.
NOTE: a later amendment to ISO 4217 needs an edit here.
"""

ISO_4217_CODES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND
    BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU
    CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
    GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
    MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD
    OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU
    XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW
    ZWG ZWL
    """.split()
)
