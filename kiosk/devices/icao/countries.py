"""ICAO 9303 state codes (three letters in the MRZ) to the two-letter ISO 3166-1 codes that
certificates carry in their country (C) attribute.

The ISO 3166-1 table below is Debian's iso-codes 4.15.0 (`/usr/share/iso-codes/json/iso_3166-1.json`,
249 countries), written out because pycountry is not a dependency; regenerate it from a newer
iso-codes when a country is added. ICAO 9303 part 3 adds codes of its own (below).

Pure; any thread.
"""
from __future__ import annotations

# alpha-3 + alpha-2, one country per word
_ISO = """
ABWAW AFGAF AGOAO AIAAI ALAAX ALBAL ANDAD AREAE ARGAR ARMAM ASMAS ATAAQ ATFTF ATGAG AUSAU AUTAT AZEAZ BDIBI
BELBE BENBJ BESBQ BFABF BGDBD BGRBG BHRBH BHSBS BIHBA BLMBL BLRBY BLZBZ BMUBM BOLBO BRABR BRBBB BRNBN BTNBT
BVTBV BWABW CAFCF CANCA CCKCC CHECH CHLCL CHNCN CIVCI CMRCM CODCD COGCG COKCK COLCO COMKM CPVCV CRICR CUBCU
CUWCW CXRCX CYMKY CYPCY CZECZ DEUDE DJIDJ DMADM DNKDK DOMDO DZADZ ECUEC EGYEG ERIER ESHEH ESPES ESTEE ETHET
FINFI FJIFJ FLKFK FRAFR FROFO FSMFM GABGA GBRGB GEOGE GGYGG GHAGH GIBGI GINGN GLPGP GMBGM GNBGW GNQGQ GRCGR
GRDGD GRLGL GTMGT GUFGF GUMGU GUYGY HKGHK HMDHM HNDHN HRVHR HTIHT HUNHU IDNID IMNIM INDIN IOTIO IRLIE IRNIR
IRQIQ ISLIS ISRIL ITAIT JAMJM JEYJE JORJO JPNJP KAZKZ KENKE KGZKG KHMKH KIRKI KNAKN KORKR KWTKW LAOLA LBNLB
LBRLR LBYLY LCALC LIELI LKALK LSOLS LTULT LUXLU LVALV MACMO MAFMF MARMA MCOMC MDAMD MDGMG MDVMV MEXMX MHLMH
MKDMK MLIML MLTMT MMRMM MNEME MNGMN MNPMP MOZMZ MRTMR MSRMS MTQMQ MUSMU MWIMW MYSMY MYTYT NAMNA NCLNC NERNE
NFKNF NGANG NICNI NIUNU NLDNL NORNO NPLNP NRUNR NZLNZ OMNOM PAKPK PANPA PCNPN PERPE PHLPH PLWPW PNGPG POLPL
PRIPR PRKKP PRTPT PRYPY PSEPS PYFPF QATQA REURE ROURO RUSRU RWARW SAUSA SDNSD SENSN SGPSG SGSGS SHNSH SJMSJ
SLBSB SLESL SLVSV SMRSM SOMSO SPMPM SRBRS SSDSS STPST SURSR SVKSK SVNSI SWESE SWZSZ SXMSX SYCSC SYRSY TCATC
TCDTD TGOTG THATH TJKTJ TKLTK TKMTM TLSTL TONTO TTOTT TUNTN TURTR TUVTV TWNTW TZATZ UGAUG UKRUA UMIUM URYUY
USAUS UZBUZ VATVA VCTVC VENVE VGBVG VIRVI VNMVN VUTVU WLFWF WSMWS YEMYE ZAFZA ZMBZM ZWEZW
"""
ISO_ALPHA3_TO_ALPHA2: dict[str, str] = {w[:3]: w[3:] for w in _ISO.split()}

# ICAO 9303 part 3 codes that are not ISO 3166-1 alpha-3, with the country code their CSCAs use.
ICAO_SPECIAL: dict[str, str] = {
    "D": "DE",                                                     # Germany
    "GBD": "GB", "GBN": "GB", "GBO": "GB", "GBP": "GB", "GBS": "GB",   # British nationality classes
    "UNO": "UN", "UNA": "UN", "UNK": "UN",                       # United Nations and its agencies
    "EUE": "EU",                                                   # European Union
    "RKS": "XK",                                                   # Kosovo
}


def certificate_country(state: str) -> str | None:
    """The C a CSCA of the MRZ issuing state `state` carries ("CHN" -> "CN", "D" -> "DE"); None
    when the code is unknown (such a document cannot be tied to any CSCA)."""
    code = state.strip("<").strip().upper()
    return ICAO_SPECIAL.get(code) or ISO_ALPHA3_TO_ALPHA2.get(code)
