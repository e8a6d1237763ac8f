#!/usr/bin/env bash
# Makes the two fonts of the permit certificate (src/portal/pdf/) from Debian's DejaVu Sans:
# only the characters a certificate writes, no hinting, no layout tables, no glyph names.
# Needs the Debian packages fonts-dejavu-core (2.37) and python3-fonttools. The results
# are committed; run this only to change the character set, then commit both files.
set -euo pipefail
cd "$(dirname "$0")"
# Basic Latin, Latin-1, Latin Extended-A (ğ Ğ ı İ ş Ş), Ə ə, Cyrillic (Russian, Ё, and the
# other Cyrillic alphabets' letters), general punctuation (– — ‘ ’ “ ” …), ‰ ‹ ›, €, ₼,
# №, ™, and U+FFFD, drawn for a character the font lacks.
unicodes="U+0020-007E,U+00A0-00FF,U+0100-017F,U+018F,U+0259,U+0400-045F,U+2010-2027,U+2030,U+2039,U+203A,U+20AC,U+20BC,U+2116,U+2122,U+FFFD"
for font in DejaVuSans DejaVuSans-Bold; do
    /usr/bin/python3 -m fontTools.subset "/usr/share/fonts/truetype/dejavu/$font.ttf" \
        --unicodes="$unicodes" --no-hinting --layout-features='' --no-glyph-names \
        --name-IDs='0,1,2,3,4,5,6,13,14' --drop-tables+=FFTM,GSUB,GPOS,GDEF,kern,MATH \
        --output-file="$font.ttf"
done
