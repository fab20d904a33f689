"""Make the chart font: Noto Sans SC (SIL OFL 1.1) at weight 400, cut down to the characters of GBK + ASCII.

Source: the variable font NotoSansSC[wght].ttf shipped in the PyPI package justmytype-intl-cjk==0.1.0
(`pip download --no-deps justmytype-intl-cjk==0.1.0`). GBK holds every Chinese character a Chinese Windows
spreadsheet can carry (21,886 characters with ASCII), so any company, region or person name typed into the product
renders. The family is renamed so it never shadows an installed Noto Sans SC. Run once; the output is committed.

    python make_font.py SRC.ttf OUT.ttf
"""
import sys

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

FAMILY = "PlanAssist Sans SC"


def gbk_characters() -> set[str]:
    chars = {chr(c) for c in range(0x20, 0x7F)}
    for hi in range(0x81, 0xFF):
        for lo in range(0x40, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gbk"))
            except UnicodeDecodeError:
                pass
    return chars


def main(src: str, out: str) -> None:
    font = instancer.instantiateVariableFont(TTFont(src), {"wght": 400})
    opts = subset.Options()
    opts.layout_features = []
    opts.hinting = False
    opts.glyph_names = False
    opts.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    opts.drop_tables += ["vhea", "vmtx", "VORG", "GSUB", "GPOS", "GDEF", "BASE", "STAT", "DSIG", "meta"]
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=[ord(c) for c in gbk_characters()])
    sub.subset(font)
    names = font["name"]
    for rec in list(names.names):
        if rec.nameID in (1, 4, 16):
            names.setName(FAMILY, rec.nameID, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 2:
            names.setName("Regular", 2, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 6:
            names.setName(FAMILY.replace(" ", "") + "-Regular", 6, rec.platformID, rec.platEncID, rec.langID)
        elif rec.nameID == 3:
            names.setName(f"{FAMILY} subset of Noto Sans SC 2.004", 3, rec.platformID, rec.platEncID, rec.langID)
    font["OS/2"].usWeightClass = 400
    font.save(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
