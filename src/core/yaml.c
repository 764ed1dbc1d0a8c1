/* YAML reader and writer with kubectl's semantics.
 *
 * kubectl reads YAML with sigs.k8s.io/yaml (v1.4, its fork of go-yaml v2):
 * go-yaml parses the text into a node tree, decodes the tree into
 * interface{} values (YAML 1.1 typing, merge keys, aliases), and sigs.k8s.io
 * turns that into JSON (keys into strings, +Inf refused). The reader below
 * takes the same three steps on libyaml's event stream: build_document()
 * makes the node tree, decode() the values, convert_key() and the pending
 * errors stand for the JSON step. Where a function ports one of go-yaml's,
 * it says which, so the two can be read side by side.
 *
 * kubectl writes YAML with JSONToYAML: the JSON text is decoded by go-yaml
 * again and marshalled by go-yaml's encoder, whose emitter is a port of
 * libyaml's. yaml_emit() therefore drives libyaml's own emitter with the
 * scalar styles and the key order that go-yaml's encoder picks.
 *
 * Number parsing and formatting use strtod/snprintf, so the process must keep
 * the "C" LC_NUMERIC locale (ferry never calls setlocale). */
#include "core/yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define TAG_PREFIX "tag:yaml.org,2002:"
#define TAG_STR TAG_PREFIX "str"
#define TAG_NULL TAG_PREFIX "null"
#define TAG_BOOL TAG_PREFIX "bool"
#define TAG_INT TAG_PREFIX "int"
#define TAG_FLOAT TAG_PREFIX "float"
#define TAG_TIMESTAMP TAG_PREFIX "timestamp"
#define TAG_BINARY TAG_PREFIX "binary"
#define TAG_MERGE TAG_PREFIX "merge"

/* Bytes of scalars that alias expansion may copy in one document. go-yaml
 * only counts nodes, which would let a few aliases of a huge string through. */
#define ALIAS_MAX_BYTES ((size_t)64 << 20)

/* ------------------------------------------------------------------------
 * UTF-8 and Unicode classes, as Go sees them.
 */

struct urange {
    uint32_t lo, hi;
};

/* Generated from the Unicode Character Database (categories L* and Nd, code
 * points >= 0x80), as Go 1.23's unicode.IsLetter and unicode.IsDigit see
 * them: Python's Unicode 14.0 tables plus the letters and digits of 15.0. */
static const struct urange uni_letters[] = {
    {0xAA, 0xAA}, {0xB5, 0xB5}, {0xBA, 0xBA}, {0xC0, 0xD6}, {0xD8, 0xF6}, {0xF8, 0x2C1},
    {0x2C6, 0x2D1}, {0x2E0, 0x2E4}, {0x2EC, 0x2EC}, {0x2EE, 0x2EE}, {0x370, 0x374},
    {0x376, 0x377}, {0x37A, 0x37D}, {0x37F, 0x37F}, {0x386, 0x386}, {0x388, 0x38A},
    {0x38C, 0x38C}, {0x38E, 0x3A1}, {0x3A3, 0x3F5}, {0x3F7, 0x481}, {0x48A, 0x52F},
    {0x531, 0x556}, {0x559, 0x559}, {0x560, 0x588}, {0x5D0, 0x5EA}, {0x5EF, 0x5F2},
    {0x620, 0x64A}, {0x66E, 0x66F}, {0x671, 0x6D3}, {0x6D5, 0x6D5}, {0x6E5, 0x6E6},
    {0x6EE, 0x6EF}, {0x6FA, 0x6FC}, {0x6FF, 0x6FF}, {0x710, 0x710}, {0x712, 0x72F},
    {0x74D, 0x7A5}, {0x7B1, 0x7B1}, {0x7CA, 0x7EA}, {0x7F4, 0x7F5}, {0x7FA, 0x7FA},
    {0x800, 0x815}, {0x81A, 0x81A}, {0x824, 0x824}, {0x828, 0x828}, {0x840, 0x858},
    {0x860, 0x86A}, {0x870, 0x887}, {0x889, 0x88E}, {0x8A0, 0x8C9}, {0x904, 0x939},
    {0x93D, 0x93D}, {0x950, 0x950}, {0x958, 0x961}, {0x971, 0x980}, {0x985, 0x98C},
    {0x98F, 0x990}, {0x993, 0x9A8}, {0x9AA, 0x9B0}, {0x9B2, 0x9B2}, {0x9B6, 0x9B9},
    {0x9BD, 0x9BD}, {0x9CE, 0x9CE}, {0x9DC, 0x9DD}, {0x9DF, 0x9E1}, {0x9F0, 0x9F1},
    {0x9FC, 0x9FC}, {0xA05, 0xA0A}, {0xA0F, 0xA10}, {0xA13, 0xA28}, {0xA2A, 0xA30},
    {0xA32, 0xA33}, {0xA35, 0xA36}, {0xA38, 0xA39}, {0xA59, 0xA5C}, {0xA5E, 0xA5E},
    {0xA72, 0xA74}, {0xA85, 0xA8D}, {0xA8F, 0xA91}, {0xA93, 0xAA8}, {0xAAA, 0xAB0},
    {0xAB2, 0xAB3}, {0xAB5, 0xAB9}, {0xABD, 0xABD}, {0xAD0, 0xAD0}, {0xAE0, 0xAE1},
    {0xAF9, 0xAF9}, {0xB05, 0xB0C}, {0xB0F, 0xB10}, {0xB13, 0xB28}, {0xB2A, 0xB30},
    {0xB32, 0xB33}, {0xB35, 0xB39}, {0xB3D, 0xB3D}, {0xB5C, 0xB5D}, {0xB5F, 0xB61},
    {0xB71, 0xB71}, {0xB83, 0xB83}, {0xB85, 0xB8A}, {0xB8E, 0xB90}, {0xB92, 0xB95},
    {0xB99, 0xB9A}, {0xB9C, 0xB9C}, {0xB9E, 0xB9F}, {0xBA3, 0xBA4}, {0xBA8, 0xBAA},
    {0xBAE, 0xBB9}, {0xBD0, 0xBD0}, {0xC05, 0xC0C}, {0xC0E, 0xC10}, {0xC12, 0xC28},
    {0xC2A, 0xC39}, {0xC3D, 0xC3D}, {0xC58, 0xC5A}, {0xC5D, 0xC5D}, {0xC60, 0xC61},
    {0xC80, 0xC80}, {0xC85, 0xC8C}, {0xC8E, 0xC90}, {0xC92, 0xCA8}, {0xCAA, 0xCB3},
    {0xCB5, 0xCB9}, {0xCBD, 0xCBD}, {0xCDD, 0xCDE}, {0xCE0, 0xCE1}, {0xCF1, 0xCF2},
    {0xD04, 0xD0C}, {0xD0E, 0xD10}, {0xD12, 0xD3A}, {0xD3D, 0xD3D}, {0xD4E, 0xD4E},
    {0xD54, 0xD56}, {0xD5F, 0xD61}, {0xD7A, 0xD7F}, {0xD85, 0xD96}, {0xD9A, 0xDB1},
    {0xDB3, 0xDBB}, {0xDBD, 0xDBD}, {0xDC0, 0xDC6}, {0xE01, 0xE30}, {0xE32, 0xE33},
    {0xE40, 0xE46}, {0xE81, 0xE82}, {0xE84, 0xE84}, {0xE86, 0xE8A}, {0xE8C, 0xEA3},
    {0xEA5, 0xEA5}, {0xEA7, 0xEB0}, {0xEB2, 0xEB3}, {0xEBD, 0xEBD}, {0xEC0, 0xEC4},
    {0xEC6, 0xEC6}, {0xEDC, 0xEDF}, {0xF00, 0xF00}, {0xF40, 0xF47}, {0xF49, 0xF6C},
    {0xF88, 0xF8C}, {0x1000, 0x102A}, {0x103F, 0x103F}, {0x1050, 0x1055}, {0x105A, 0x105D},
    {0x1061, 0x1061}, {0x1065, 0x1066}, {0x106E, 0x1070}, {0x1075, 0x1081}, {0x108E, 0x108E},
    {0x10A0, 0x10C5}, {0x10C7, 0x10C7}, {0x10CD, 0x10CD}, {0x10D0, 0x10FA}, {0x10FC, 0x1248},
    {0x124A, 0x124D}, {0x1250, 0x1256}, {0x1258, 0x1258}, {0x125A, 0x125D}, {0x1260, 0x1288},
    {0x128A, 0x128D}, {0x1290, 0x12B0}, {0x12B2, 0x12B5}, {0x12B8, 0x12BE}, {0x12C0, 0x12C0},
    {0x12C2, 0x12C5}, {0x12C8, 0x12D6}, {0x12D8, 0x1310}, {0x1312, 0x1315}, {0x1318, 0x135A},
    {0x1380, 0x138F}, {0x13A0, 0x13F5}, {0x13F8, 0x13FD}, {0x1401, 0x166C}, {0x166F, 0x167F},
    {0x1681, 0x169A}, {0x16A0, 0x16EA}, {0x16F1, 0x16F8}, {0x1700, 0x1711}, {0x171F, 0x1731},
    {0x1740, 0x1751}, {0x1760, 0x176C}, {0x176E, 0x1770}, {0x1780, 0x17B3}, {0x17D7, 0x17D7},
    {0x17DC, 0x17DC}, {0x1820, 0x1878}, {0x1880, 0x1884}, {0x1887, 0x18A8}, {0x18AA, 0x18AA},
    {0x18B0, 0x18F5}, {0x1900, 0x191E}, {0x1950, 0x196D}, {0x1970, 0x1974}, {0x1980, 0x19AB},
    {0x19B0, 0x19C9}, {0x1A00, 0x1A16}, {0x1A20, 0x1A54}, {0x1AA7, 0x1AA7}, {0x1B05, 0x1B33},
    {0x1B45, 0x1B4C}, {0x1B83, 0x1BA0}, {0x1BAE, 0x1BAF}, {0x1BBA, 0x1BE5}, {0x1C00, 0x1C23},
    {0x1C4D, 0x1C4F}, {0x1C5A, 0x1C7D}, {0x1C80, 0x1C88}, {0x1C90, 0x1CBA}, {0x1CBD, 0x1CBF},
    {0x1CE9, 0x1CEC}, {0x1CEE, 0x1CF3}, {0x1CF5, 0x1CF6}, {0x1CFA, 0x1CFA}, {0x1D00, 0x1DBF},
    {0x1E00, 0x1F15}, {0x1F18, 0x1F1D}, {0x1F20, 0x1F45}, {0x1F48, 0x1F4D}, {0x1F50, 0x1F57},
    {0x1F59, 0x1F59}, {0x1F5B, 0x1F5B}, {0x1F5D, 0x1F5D}, {0x1F5F, 0x1F7D}, {0x1F80, 0x1FB4},
    {0x1FB6, 0x1FBC}, {0x1FBE, 0x1FBE}, {0x1FC2, 0x1FC4}, {0x1FC6, 0x1FCC}, {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FF4}, {0x1FF6, 0x1FFC}, {0x2071, 0x2071},
    {0x207F, 0x207F}, {0x2090, 0x209C}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113},
    {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
    {0x212A, 0x212D}, {0x212F, 0x2139}, {0x213C, 0x213F}, {0x2145, 0x2149}, {0x214E, 0x214E},
    {0x2183, 0x2184}, {0x2C00, 0x2CE4}, {0x2CEB, 0x2CEE}, {0x2CF2, 0x2CF3}, {0x2D00, 0x2D25},
    {0x2D27, 0x2D27}, {0x2D2D, 0x2D2D}, {0x2D30, 0x2D67}, {0x2D6F, 0x2D6F}, {0x2D80, 0x2D96},
    {0x2DA0, 0x2DA6}, {0x2DA8, 0x2DAE}, {0x2DB0, 0x2DB6}, {0x2DB8, 0x2DBE}, {0x2DC0, 0x2DC6},
    {0x2DC8, 0x2DCE}, {0x2DD0, 0x2DD6}, {0x2DD8, 0x2DDE}, {0x2E2F, 0x2E2F}, {0x3005, 0x3006},
    {0x3031, 0x3035}, {0x303B, 0x303C}, {0x3041, 0x3096}, {0x309D, 0x309F}, {0x30A1, 0x30FA},
    {0x30FC, 0x30FF}, {0x3105, 0x312F}, {0x3131, 0x318E}, {0x31A0, 0x31BF}, {0x31F0, 0x31FF},
    {0x3400, 0x4DBF}, {0x4E00, 0xA48C}, {0xA4D0, 0xA4FD}, {0xA500, 0xA60C}, {0xA610, 0xA61F},
    {0xA62A, 0xA62B}, {0xA640, 0xA66E}, {0xA67F, 0xA69D}, {0xA6A0, 0xA6E5}, {0xA717, 0xA71F},
    {0xA722, 0xA788}, {0xA78B, 0xA7CA}, {0xA7D0, 0xA7D1}, {0xA7D3, 0xA7D3}, {0xA7D5, 0xA7D9},
    {0xA7F2, 0xA801}, {0xA803, 0xA805}, {0xA807, 0xA80A}, {0xA80C, 0xA822}, {0xA840, 0xA873},
    {0xA882, 0xA8B3}, {0xA8F2, 0xA8F7}, {0xA8FB, 0xA8FB}, {0xA8FD, 0xA8FE}, {0xA90A, 0xA925},
    {0xA930, 0xA946}, {0xA960, 0xA97C}, {0xA984, 0xA9B2}, {0xA9CF, 0xA9CF}, {0xA9E0, 0xA9E4},
    {0xA9E6, 0xA9EF}, {0xA9FA, 0xA9FE}, {0xAA00, 0xAA28}, {0xAA40, 0xAA42}, {0xAA44, 0xAA4B},
    {0xAA60, 0xAA76}, {0xAA7A, 0xAA7A}, {0xAA7E, 0xAAAF}, {0xAAB1, 0xAAB1}, {0xAAB5, 0xAAB6},
    {0xAAB9, 0xAABD}, {0xAAC0, 0xAAC0}, {0xAAC2, 0xAAC2}, {0xAADB, 0xAADD}, {0xAAE0, 0xAAEA},
    {0xAAF2, 0xAAF4}, {0xAB01, 0xAB06}, {0xAB09, 0xAB0E}, {0xAB11, 0xAB16}, {0xAB20, 0xAB26},
    {0xAB28, 0xAB2E}, {0xAB30, 0xAB5A}, {0xAB5C, 0xAB69}, {0xAB70, 0xABE2}, {0xAC00, 0xD7A3},
    {0xD7B0, 0xD7C6}, {0xD7CB, 0xD7FB}, {0xF900, 0xFA6D}, {0xFA70, 0xFAD9}, {0xFB00, 0xFB06},
    {0xFB13, 0xFB17}, {0xFB1D, 0xFB1D}, {0xFB1F, 0xFB28}, {0xFB2A, 0xFB36}, {0xFB38, 0xFB3C},
    {0xFB3E, 0xFB3E}, {0xFB40, 0xFB41}, {0xFB43, 0xFB44}, {0xFB46, 0xFBB1}, {0xFBD3, 0xFD3D},
    {0xFD50, 0xFD8F}, {0xFD92, 0xFDC7}, {0xFDF0, 0xFDFB}, {0xFE70, 0xFE74}, {0xFE76, 0xFEFC},
    {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0xFF66, 0xFFBE}, {0xFFC2, 0xFFC7}, {0xFFCA, 0xFFCF},
    {0xFFD2, 0xFFD7}, {0xFFDA, 0xFFDC}, {0x10000, 0x1000B}, {0x1000D, 0x10026},
    {0x10028, 0x1003A}, {0x1003C, 0x1003D}, {0x1003F, 0x1004D}, {0x10050, 0x1005D},
    {0x10080, 0x100FA}, {0x10280, 0x1029C}, {0x102A0, 0x102D0}, {0x10300, 0x1031F},
    {0x1032D, 0x10340}, {0x10342, 0x10349}, {0x10350, 0x10375}, {0x10380, 0x1039D},
    {0x103A0, 0x103C3}, {0x103C8, 0x103CF}, {0x10400, 0x1049D}, {0x104B0, 0x104D3},
    {0x104D8, 0x104FB}, {0x10500, 0x10527}, {0x10530, 0x10563}, {0x10570, 0x1057A},
    {0x1057C, 0x1058A}, {0x1058C, 0x10592}, {0x10594, 0x10595}, {0x10597, 0x105A1},
    {0x105A3, 0x105B1}, {0x105B3, 0x105B9}, {0x105BB, 0x105BC}, {0x10600, 0x10736},
    {0x10740, 0x10755}, {0x10760, 0x10767}, {0x10780, 0x10785}, {0x10787, 0x107B0},
    {0x107B2, 0x107BA}, {0x10800, 0x10805}, {0x10808, 0x10808}, {0x1080A, 0x10835},
    {0x10837, 0x10838}, {0x1083C, 0x1083C}, {0x1083F, 0x10855}, {0x10860, 0x10876},
    {0x10880, 0x1089E}, {0x108E0, 0x108F2}, {0x108F4, 0x108F5}, {0x10900, 0x10915},
    {0x10920, 0x10939}, {0x10980, 0x109B7}, {0x109BE, 0x109BF}, {0x10A00, 0x10A00},
    {0x10A10, 0x10A13}, {0x10A15, 0x10A17}, {0x10A19, 0x10A35}, {0x10A60, 0x10A7C},
    {0x10A80, 0x10A9C}, {0x10AC0, 0x10AC7}, {0x10AC9, 0x10AE4}, {0x10B00, 0x10B35},
    {0x10B40, 0x10B55}, {0x10B60, 0x10B72}, {0x10B80, 0x10B91}, {0x10C00, 0x10C48},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x10D00, 0x10D23}, {0x10E80, 0x10EA9},
    {0x10EB0, 0x10EB1}, {0x10F00, 0x10F1C}, {0x10F27, 0x10F27}, {0x10F30, 0x10F45},
    {0x10F70, 0x10F81}, {0x10FB0, 0x10FC4}, {0x10FE0, 0x10FF6}, {0x11003, 0x11037},
    {0x11071, 0x11072}, {0x11075, 0x11075}, {0x11083, 0x110AF}, {0x110D0, 0x110E8},
    {0x11103, 0x11126}, {0x11144, 0x11144}, {0x11147, 0x11147}, {0x11150, 0x11172},
    {0x11176, 0x11176}, {0x11183, 0x111B2}, {0x111C1, 0x111C4}, {0x111DA, 0x111DA},
    {0x111DC, 0x111DC}, {0x11200, 0x11211}, {0x11213, 0x1122B}, {0x1123F, 0x11240},
    {0x11280, 0x11286}, {0x11288, 0x11288}, {0x1128A, 0x1128D}, {0x1128F, 0x1129D},
    {0x1129F, 0x112A8}, {0x112B0, 0x112DE}, {0x11305, 0x1130C}, {0x1130F, 0x11310},
    {0x11313, 0x11328}, {0x1132A, 0x11330}, {0x11332, 0x11333}, {0x11335, 0x11339},
    {0x1133D, 0x1133D}, {0x11350, 0x11350}, {0x1135D, 0x11361}, {0x11400, 0x11434},
    {0x11447, 0x1144A}, {0x1145F, 0x11461}, {0x11480, 0x114AF}, {0x114C4, 0x114C5},
    {0x114C7, 0x114C7}, {0x11580, 0x115AE}, {0x115D8, 0x115DB}, {0x11600, 0x1162F},
    {0x11644, 0x11644}, {0x11680, 0x116AA}, {0x116B8, 0x116B8}, {0x11700, 0x1171A},
    {0x11740, 0x11746}, {0x11800, 0x1182B}, {0x118A0, 0x118DF}, {0x118FF, 0x11906},
    {0x11909, 0x11909}, {0x1190C, 0x11913}, {0x11915, 0x11916}, {0x11918, 0x1192F},
    {0x1193F, 0x1193F}, {0x11941, 0x11941}, {0x119A0, 0x119A7}, {0x119AA, 0x119D0},
    {0x119E1, 0x119E1}, {0x119E3, 0x119E3}, {0x11A00, 0x11A00}, {0x11A0B, 0x11A32},
    {0x11A3A, 0x11A3A}, {0x11A50, 0x11A50}, {0x11A5C, 0x11A89}, {0x11A9D, 0x11A9D},
    {0x11AB0, 0x11AF8}, {0x11C00, 0x11C08}, {0x11C0A, 0x11C2E}, {0x11C40, 0x11C40},
    {0x11C72, 0x11C8F}, {0x11D00, 0x11D06}, {0x11D08, 0x11D09}, {0x11D0B, 0x11D30},
    {0x11D46, 0x11D46}, {0x11D60, 0x11D65}, {0x11D67, 0x11D68}, {0x11D6A, 0x11D89},
    {0x11D98, 0x11D98}, {0x11EE0, 0x11EF2}, {0x11F02, 0x11F02}, {0x11F04, 0x11F10},
    {0x11F12, 0x11F33}, {0x11FB0, 0x11FB0}, {0x12000, 0x12399}, {0x12480, 0x12543},
    {0x12F90, 0x12FF0}, {0x13000, 0x1342E}, {0x13441, 0x13446}, {0x14400, 0x14646},
    {0x16800, 0x16A38}, {0x16A40, 0x16A5E}, {0x16A70, 0x16ABE}, {0x16AD0, 0x16AED},
    {0x16B00, 0x16B2F}, {0x16B40, 0x16B43}, {0x16B63, 0x16B77}, {0x16B7D, 0x16B8F},
    {0x16E40, 0x16E7F}, {0x16F00, 0x16F4A}, {0x16F50, 0x16F50}, {0x16F93, 0x16F9F},
    {0x16FE0, 0x16FE1}, {0x16FE3, 0x16FE3}, {0x17000, 0x187F7}, {0x18800, 0x18CD5},
    {0x18D00, 0x18D08}, {0x1AFF0, 0x1AFF3}, {0x1AFF5, 0x1AFFB}, {0x1AFFD, 0x1AFFE},
    {0x1B000, 0x1B122}, {0x1B150, 0x1B152}, {0x1B164, 0x1B167}, {0x1B170, 0x1B2FB},
    {0x1BC00, 0x1BC6A}, {0x1BC70, 0x1BC7C}, {0x1BC80, 0x1BC88}, {0x1BC90, 0x1BC99},
    {0x1D400, 0x1D454}, {0x1D456, 0x1D49C}, {0x1D49E, 0x1D49F}, {0x1D4A2, 0x1D4A2},
    {0x1D4A5, 0x1D4A6}, {0x1D4A9, 0x1D4AC}, {0x1D4AE, 0x1D4B9}, {0x1D4BB, 0x1D4BB},
    {0x1D4BD, 0x1D4C3}, {0x1D4C5, 0x1D505}, {0x1D507, 0x1D50A}, {0x1D50D, 0x1D514},
    {0x1D516, 0x1D51C}, {0x1D51E, 0x1D539}, {0x1D53B, 0x1D53E}, {0x1D540, 0x1D544},
    {0x1D546, 0x1D546}, {0x1D54A, 0x1D550}, {0x1D552, 0x1D6A5}, {0x1D6A8, 0x1D6C0},
    {0x1D6C2, 0x1D6DA}, {0x1D6DC, 0x1D6FA}, {0x1D6FC, 0x1D714}, {0x1D716, 0x1D734},
    {0x1D736, 0x1D74E}, {0x1D750, 0x1D76E}, {0x1D770, 0x1D788}, {0x1D78A, 0x1D7A8},
    {0x1D7AA, 0x1D7C2}, {0x1D7C4, 0x1D7CB}, {0x1DF00, 0x1DF1E}, {0x1DF25, 0x1DF2A},
    {0x1E030, 0x1E06D}, {0x1E100, 0x1E12C}, {0x1E137, 0x1E13D}, {0x1E14E, 0x1E14E},
    {0x1E290, 0x1E2AD}, {0x1E2C0, 0x1E2EB}, {0x1E4D0, 0x1E4EB}, {0x1E7E0, 0x1E7E6},
    {0x1E7E8, 0x1E7EB}, {0x1E7ED, 0x1E7EE}, {0x1E7F0, 0x1E7FE}, {0x1E800, 0x1E8C4},
    {0x1E900, 0x1E943}, {0x1E94B, 0x1E94B}, {0x1EE00, 0x1EE03}, {0x1EE05, 0x1EE1F},
    {0x1EE21, 0x1EE22}, {0x1EE24, 0x1EE24}, {0x1EE27, 0x1EE27}, {0x1EE29, 0x1EE32},
    {0x1EE34, 0x1EE37}, {0x1EE39, 0x1EE39}, {0x1EE3B, 0x1EE3B}, {0x1EE42, 0x1EE42},
    {0x1EE47, 0x1EE47}, {0x1EE49, 0x1EE49}, {0x1EE4B, 0x1EE4B}, {0x1EE4D, 0x1EE4F},
    {0x1EE51, 0x1EE52}, {0x1EE54, 0x1EE54}, {0x1EE57, 0x1EE57}, {0x1EE59, 0x1EE59},
    {0x1EE5B, 0x1EE5B}, {0x1EE5D, 0x1EE5D}, {0x1EE5F, 0x1EE5F}, {0x1EE61, 0x1EE62},
    {0x1EE64, 0x1EE64}, {0x1EE67, 0x1EE6A}, {0x1EE6C, 0x1EE72}, {0x1EE74, 0x1EE77},
    {0x1EE79, 0x1EE7C}, {0x1EE7E, 0x1EE7E}, {0x1EE80, 0x1EE89}, {0x1EE8B, 0x1EE9B},
    {0x1EEA1, 0x1EEA3}, {0x1EEA5, 0x1EEA9}, {0x1EEAB, 0x1EEBB}, {0x20000, 0x2A6DF},
    {0x2A700, 0x2B739}, {0x2B740, 0x2B81D}, {0x2B820, 0x2CEA1}, {0x2CEB0, 0x2EBE0},
    {0x2F800, 0x2FA1D}, {0x30000, 0x3134A}, {0x31350, 0x323AF},
};
static const struct urange uni_digits[] = {
    {0x660, 0x669}, {0x6F0, 0x6F9}, {0x7C0, 0x7C9}, {0x966, 0x96F}, {0x9E6, 0x9EF},
    {0xA66, 0xA6F}, {0xAE6, 0xAEF}, {0xB66, 0xB6F}, {0xBE6, 0xBEF}, {0xC66, 0xC6F},
    {0xCE6, 0xCEF}, {0xD66, 0xD6F}, {0xDE6, 0xDEF}, {0xE50, 0xE59}, {0xED0, 0xED9},
    {0xF20, 0xF29}, {0x1040, 0x1049}, {0x1090, 0x1099}, {0x17E0, 0x17E9}, {0x1810, 0x1819},
    {0x1946, 0x194F}, {0x19D0, 0x19D9}, {0x1A80, 0x1A89}, {0x1A90, 0x1A99}, {0x1B50, 0x1B59},
    {0x1BB0, 0x1BB9}, {0x1C40, 0x1C49}, {0x1C50, 0x1C59}, {0xA620, 0xA629}, {0xA8D0, 0xA8D9},
    {0xA900, 0xA909}, {0xA9D0, 0xA9D9}, {0xA9F0, 0xA9F9}, {0xAA50, 0xAA59}, {0xABF0, 0xABF9},
    {0xFF10, 0xFF19}, {0x104A0, 0x104A9}, {0x10D30, 0x10D39}, {0x11066, 0x1106F},
    {0x110F0, 0x110F9}, {0x11136, 0x1113F}, {0x111D0, 0x111D9}, {0x112F0, 0x112F9},
    {0x11450, 0x11459}, {0x114D0, 0x114D9}, {0x11650, 0x11659}, {0x116C0, 0x116C9},
    {0x11730, 0x11739}, {0x118E0, 0x118E9}, {0x11950, 0x11959}, {0x11C50, 0x11C59},
    {0x11D50, 0x11D59}, {0x11DA0, 0x11DA9}, {0x11F50, 0x11F59}, {0x16A60, 0x16A69},
    {0x16AC0, 0x16AC9}, {0x16B50, 0x16B59}, {0x1D7CE, 0x1D7FF}, {0x1E140, 0x1E149},
    {0x1E2F0, 0x1E2F9}, {0x1E4F0, 0x1E4F9}, {0x1E950, 0x1E959}, {0x1FBF0, 0x1FBF9},
};

static bool in_ranges(const struct urange *t, size_t n, uint32_t r)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r < t[mid].lo)
            hi = mid;
        else if (r > t[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

static bool is_letter(uint32_t r)
{
    if (r < 0x80)
        return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
    return in_ranges(uni_letters, sizeof uni_letters / sizeof uni_letters[0], r);
}

static bool is_digit(uint32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    return in_ranges(uni_digits, sizeof uni_digits / sizeof uni_digits[0], r);
}

/* Decodes one UTF-8 sequence as Go's utf8.DecodeRuneInString does: returns
 * its width and sets *r, or returns 1 with *r = U+FFFD for an invalid byte
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t decode_rune(const unsigned char *s, size_t n, uint32_t *r)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *r = c;
        return 1;
    }
    *r = 0xFFFD;
    if (c < 0xC2 || c > 0xF4)
        return 1;
    size_t w = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n < w)
        return 1;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 1;
    for (size_t i = 2; i < w; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 1;
    if (w == 2)
        *r = (uint32_t)(c & 0x1F) << 6 | (s[1] & 0x3F);
    else if (w == 3)
        *r = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
    else
        *r = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
             (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
    return w;
}

static bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t r;
        size_t w = decode_rune(p + i, n - i, &r);
        if (r == 0xFFFD && w == 1)
            return false;
        i += w;
    }
    return true;
}

/* Go's json.Marshal writes each invalid byte of a string as U+FFFD; kubectl's
 * data always passes through JSON, so both directions here do the same.
 * Returns a new NUL-terminated copy (length in *outlen), or NULL. */
static char *utf8_sanitize(const char *s, size_t n, size_t *outlen)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t cap = n * 3 + 1, o = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        uint32_t r;
        size_t w = decode_rune(p + i, n - i, &r);
        if (r == 0xFFFD && w == 1) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else {
            memcpy(out + o, p + i, w);
            o += w;
        }
        i += w;
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* ------------------------------------------------------------------------
 * Go's float formatting (strconv.FormatFloat with precision -1).
 */

/* Shortest decimal digits that read back as <f> (finite, non-zero; the sign
 * is ignored) when parsed at <bits> (32 or 64) precision, as strconv's
 * shortest mode finds them: digits in <digs>, value = 0.<digs> * 10^*dp.
 * Among the shortest strings the closest wins; "%.*e" gives that except next
 * to a power of two, where the rounding interval is lopsided and one of the
 * two neighbours may read back when the nearest does not. */
static void shortest_digits(double f, int bits, char *digs, int *dp)
{
    char tmp[64], t2[64], d[40], c[40];
    int maxp = bits == 32 ? 9 : 17;

    f = fabs(f);
    for (int p = 1; p <= maxp; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, f);
        char *e = strchr(tmp, 'e');
        int exp = atoi(e + 1), nd = 0;
        for (char *q = tmp; q < e; q++)
            if (*q != '.')
                d[nd++] = *q;
        d[nd] = '\0';
        bool ok = bits == 32 ? strtof(tmp, NULL) == (float)f : strtod(tmp, NULL) == f;
        for (int delta = -1; !ok && delta <= 1 && p < maxp; delta += 2) {
            int i = nd - 1, cexp = exp;
            memcpy(c, d, (size_t)nd + 1);
            if (delta > 0) {
                while (i >= 0 && c[i] == '9')
                    c[i--] = '0';
                if (i < 0)
                    continue; /* 99..9 + 1 has fewer significant digits: seen already */
                c[i]++;
            } else {
                while (i >= 0 && c[i] == '0')
                    c[i--] = '9';
                if (i < 0)
                    continue;
                c[i]--;
                if (c[0] == '0')
                    continue;
            }
            snprintf(t2, sizeof t2, "%c.%se%d", c[0], c + 1, cexp);
            if (bits == 32 ? strtof(t2, NULL) == (float)f : strtod(t2, NULL) == f) {
                memcpy(d, c, (size_t)nd + 1);
                exp = cexp;
                ok = true;
            }
        }
        if (ok || p == maxp) {
            while (nd > 1 && d[nd - 1] == '0')
                d[--nd] = '\0';
            memcpy(digs, d, (size_t)nd + 1);
            *dp = exp + 1;
            return;
        }
    }
}

/* strconv.FormatFloat(f, 'g', -1, bits), with go-yaml's and sigs.k8s.io's
 * spellings of the specials (.inf, -.inf, .nan). <s> holds 40 bytes. */
static void format_g(double f, int bits, char *s)
{
    char digs[40];
    int dp, nd, n = 0;

    if (bits == 32) {
        /* Go's float32(f): past FLT_MAX plus half an ulp it is infinite. */
        if (fabs(f) >= 0x1.ffffffp127)
            f = f > 0 ? INFINITY : -INFINITY;
        else if (!isnan(f))
            f = (float)f;
    }
    if (isnan(f)) {
        strcpy(s, ".nan");
        return;
    }
    if (isinf(f)) {
        strcpy(s, f > 0 ? ".inf" : "-.inf");
        return;
    }
    if (f == 0) {
        strcpy(s, signbit(f) ? "-0" : "0");
        return;
    }
    shortest_digits(f, bits, digs, &dp);
    nd = (int)strlen(digs);
    if (f < 0)
        s[n++] = '-';
    int exp = dp - 1;
    if (exp < -4 || exp >= 6) {
        s[n++] = digs[0];
        if (nd > 1) {
            s[n++] = '.';
            for (int i = 1; i < nd; i++)
                s[n++] = digs[i];
        }
        snprintf(s + n, 40 - (size_t)n, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
        return;
    }
    if (dp <= 0) {
        s[n++] = '0';
    } else {
        for (int i = 0; i < dp; i++)
            s[n++] = i < nd ? digs[i] : '0';
    }
    if (nd > dp) {
        s[n++] = '.';
        for (int i = dp; i < nd; i++)
            s[n++] = i < 0 ? '0' : digs[i];
    }
    s[n] = '\0';
}

/* Go's encoding/json text for a float64 (what kubectl's JSON holds before
 * JSONToYAML reads it back): %f between 1e-6 and 1e21, else %e with "e-07"
 * shortened to "e-7". <s> holds 40 bytes. */
static void format_json_float(double f, char *s)
{
    char digs[40];
    int dp, nd, n = 0;

    if (f == 0) {
        strcpy(s, signbit(f) ? "-0" : "0");
        return;
    }
    shortest_digits(f, 64, digs, &dp);
    nd = (int)strlen(digs);
    if (f < 0)
        s[n++] = '-';
    double a = fabs(f);
    if (a < 1e-6 || a >= 1e21) {
        int exp = dp - 1;
        s[n++] = digs[0];
        if (nd > 1) {
            s[n++] = '.';
            for (int i = 1; i < nd; i++)
                s[n++] = digs[i];
        }
        snprintf(s + n, 40 - (size_t)n, "e%c%d", exp < 0 ? '-' : '+', abs(exp));
        return;
    }
    if (dp <= 0) {
        s[n++] = '0';
    } else {
        for (int i = 0; i < dp; i++)
            s[n++] = i < nd ? digs[i] : '0';
    }
    if (nd > dp) {
        s[n++] = '.';
        for (int i = dp; i < nd; i++)
            s[n++] = i < 0 ? '0' : digs[i];
    }
    s[n] = '\0';
}

/* ------------------------------------------------------------------------
 * Scalar resolution: go-yaml v2's resolve() for plain scalars.
 */

enum rtag { R_STR, R_NULL, R_BOOL, R_INT, R_UINT, R_FLOAT, R_TIMESTAMP, R_MERGE };

struct resolved {
    enum rtag tag;
    bool b;
    int64_t i;
    uint64_t u;
    double f;
};

static bool digit_at(const char *s, size_t n, size_t i)
{
    return i < n && s[i] >= '0' && s[i] <= '9';
}

/* strconv.ParseUint(s, 0, 64): prefixes 0x, 0o, 0b (3 bytes at least) and a
 * bare leading 0 for octal. Returns 0, or -1 on bad syntax or overflow. */
static int go_parse_uint(const char *s, size_t n, uint64_t *out)
{
    unsigned base = 10;
    if (n == 0)
        return -1;
    if (s[0] == '0') {
        char c1 = n >= 3 ? (char)(s[1] | 0x20) : 0;
        if (c1 == 'b' || c1 == 'o' || c1 == 'x') {
            base = c1 == 'b' ? 2 : c1 == 'o' ? 8 : 16;
            s += 2;
            n -= 2;
        } else {
            base = 8;
            s++;
            n--;
        }
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            d = (c | 0x20) - 'a' + 10;
        else
            return -1;
        if (d >= base)
            return -1;
        if (v > (UINT64_MAX - d) / base)
            return -1;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

/* strconv.ParseInt(s, 0, 64). */
static int go_parse_int(const char *s, size_t n, int64_t *out)
{
    bool neg = false;
    uint64_t u;
    if (n == 0)
        return -1;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (go_parse_uint(s, n, &u) < 0)
        return -1;
    if (!neg && u > (uint64_t)INT64_MAX)
        return -1;
    if (neg && u > (uint64_t)INT64_MAX + 1)
        return -1;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.') {
        i++;
        if (!digit_at(s, n, i))
            return false;
        while (digit_at(s, n, i))
            i++;
    } else {
        if (!digit_at(s, n, i))
            return false;
        while (digit_at(s, n, i))
            i++;
        if (i < n && s[i] == '.') {
            i++;
            while (digit_at(s, n, i))
                i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (!digit_at(s, n, i))
            return false;
        while (digit_at(s, n, i))
            i++;
    }
    return i == n;
}

/* strconv.ParseFloat on text already known to be a decimal float: overflow
 * is an error, underflow is not. */
static int go_parse_float(const char *s, size_t n, double *out)
{
    char tmp[512];
    char *heap = NULL, *p = tmp;
    if (n >= sizeof tmp) {
        heap = malloc(n + 1);
        if (!heap)
            return -1;
        p = heap;
    }
    memcpy(p, s, n);
    p[n] = '\0';
    errno = 0;
    double f = strtod(p, NULL);
    int rc = errno == ERANGE && isinf(f) ? -1 : 0;
    free(heap);
    *out = f;
    return rc;
}

/* Go's time.Parse for one of go-yaml's timestamp layouts, as far as telling
 * whether the text parses: "2006-1-2T15:4:5.999999999Z07:00" (T or t),
 * "2006-1-2 15:4:5.999999999" and "2006-1-2". */
static bool getnum(const char *s, size_t n, size_t *i, bool fixed, int *v)
{
    if (!digit_at(s, n, *i))
        return false;
    if (!digit_at(s, n, *i + 1)) {
        if (fixed)
            return false;
        *v = s[*i] - '0';
        *i += 1;
        return true;
    }
    *v = (s[*i] - '0') * 10 + (s[*i + 1] - '0');
    *i += 2;
    return true;
}

static int days_in(int month, int year)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        return 29;
    return days[month - 1];
}

static bool parse_timestamp_layout(const char *s, size_t n, int layout)
{
    size_t i = 4;
    int year = 0, month, day, v;
    for (int k = 0; k < 4; k++)
        year = year * 10 + (s[k] - '0');
    if (i >= n || s[i++] != '-')
        return false;
    if (!getnum(s, n, &i, false, &month) || month < 1 || month > 12)
        return false;
    if (i >= n || s[i++] != '-')
        return false;
    if (!getnum(s, n, &i, false, &day))
        return false;
    if (layout != 3) {
        if (layout == 2) {
            /* A layout space matches one or more spaces. */
            if (i >= n || s[i] != ' ')
                return false;
            while (i < n && s[i] == ' ')
                i++;
        } else if (i >= n || (s[i] != 'T' && layout == 0) || (s[i] != 't' && layout == 1)) {
            return false;
        } else {
            i++;
        }
        if (!getnum(s, n, &i, false, &v) || v > 23)
            return false;
        if (i >= n || s[i++] != ':')
            return false;
        if (!getnum(s, n, &i, false, &v) || v > 59)
            return false;
        if (i >= n || s[i++] != ':')
            return false;
        if (!getnum(s, n, &i, false, &v) || v > 59)
            return false;
        if (i + 1 < n && (s[i] == '.' || s[i] == ',') && digit_at(s, n, i + 1)) {
            i++;
            while (digit_at(s, n, i))
                i++;
        }
        if (layout != 2) {
            if (i < n && s[i] == 'Z') {
                i++;
            } else {
                int hr, mm;
                if (n - i < 6 || s[i + 3] != ':')
                    return false;
                size_t j = i + 1;
                if (!getnum(s, i + 3, &j, true, &hr))
                    return false;
                j = i + 4;
                if (!getnum(s, i + 6, &j, true, &mm))
                    return false;
                if (hr > 24 || mm > 60 || (s[i] != '+' && s[i] != '-'))
                    return false;
                i += 6;
            }
        }
    }
    if (i != n)
        return false;
    return day >= 1 && day <= days_in(month, year);
}

static bool parse_timestamp(const char *s, size_t n)
{
    /* go-yaml's quick check: all layouts start with four digits and '-'. */
    size_t i = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i != 4 || i == n || s[i] != '-')
        return false;
    for (int layout = 0; layout < 4; layout++)
        if (parse_timestamp_layout(s, n, layout))
            return true;
    return false;
}

/* go-yaml's resolve() for a scalar with no tag (or one of the resolvable
 * tags): <s> as YAML 1.1 reads it. <as_str>: the tag is !!str, so nothing is
 * looked at. <want_ts>: timestamps are recognised (no tag or !!timestamp). */
static void resolve(const char *s, size_t n, bool as_str, bool want_ts, struct resolved *r)
{
    static const struct {
        const char *s;
        enum rtag tag;
        int v; /* bool value, or sign of infinity, 0 for NaN */
    } map[] = {
        {"y", R_BOOL, 1},       {"Y", R_BOOL, 1},       {"yes", R_BOOL, 1},
        {"Yes", R_BOOL, 1},     {"YES", R_BOOL, 1},     {"true", R_BOOL, 1},
        {"True", R_BOOL, 1},    {"TRUE", R_BOOL, 1},    {"on", R_BOOL, 1},
        {"On", R_BOOL, 1},      {"ON", R_BOOL, 1},      {"n", R_BOOL, 0},
        {"N", R_BOOL, 0},       {"no", R_BOOL, 0},      {"No", R_BOOL, 0},
        {"NO", R_BOOL, 0},      {"false", R_BOOL, 0},   {"False", R_BOOL, 0},
        {"FALSE", R_BOOL, 0},   {"off", R_BOOL, 0},     {"Off", R_BOOL, 0},
        {"OFF", R_BOOL, 0},     {"", R_NULL, 0},        {"~", R_NULL, 0},
        {"null", R_NULL, 0},    {"Null", R_NULL, 0},    {"NULL", R_NULL, 0},
        {".nan", R_FLOAT, 0},   {".NaN", R_FLOAT, 0},   {".NAN", R_FLOAT, 0},
        {".inf", R_FLOAT, 1},   {".Inf", R_FLOAT, 1},   {".INF", R_FLOAT, 1},
        {"+.inf", R_FLOAT, 1},  {"+.Inf", R_FLOAT, 1},  {"+.INF", R_FLOAT, 1},
        {"-.inf", R_FLOAT, -1}, {"-.Inf", R_FLOAT, -1}, {"-.INF", R_FLOAT, -1},
        {"<<", R_MERGE, 0},
    };
    char hint = 'N';

    memset(r, 0, sizeof *r);
    r->tag = R_STR;
    if (n > 0) {
        unsigned char c = (unsigned char)s[0];
        if (c == '+' || c == '-')
            hint = 'S';
        else if (c >= '0' && c <= '9')
            hint = 'D';
        else if (strchr("yYnNtTfFoO~", c) && c != '\0')
            hint = 'M';
        else if (c == '.')
            hint = '.';
        else
            hint = 0;
    }
    if (hint == 0 || as_str)
        return;

    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
        if (strlen(map[k].s) == n && memcmp(map[k].s, s, n) == 0) {
            r->tag = map[k].tag;
            if (r->tag == R_BOOL)
                r->b = map[k].v != 0;
            else if (r->tag == R_FLOAT)
                r->f = map[k].v == 0 ? NAN : map[k].v > 0 ? INFINITY : -INFINITY;
            return;
        }
    }

    if (hint == '.') {
        /* strconv.ParseFloat on text starting with '.': only .digits[e..]. */
        if (yaml_style_float(s, n) && go_parse_float(s, n, &r->f) == 0)
            r->tag = R_FLOAT;
        return;
    }
    if (hint != 'D' && hint != 'S')
        return;

    if (want_ts && parse_timestamp(s, n)) {
        r->tag = R_TIMESTAMP;
        return;
    }

    /* Underscores are dropped before any number parsing. */
    char small[128];
    char *plain = n < sizeof small ? small : malloc(n + 1);
    if (!plain)
        return; /* out of memory: a string, the harmless answer */
    size_t pn = 0;
    for (size_t k = 0; k < n; k++)
        if (s[k] != '_')
            plain[pn++] = s[k];
    plain[pn] = '\0';

    if (go_parse_int(plain, pn, &r->i) == 0)
        r->tag = R_INT;
    else if (go_parse_uint(plain, pn, &r->u) == 0)
        r->tag = R_UINT;
    else if (yaml_style_float(plain, pn) && go_parse_float(plain, pn, &r->f) == 0)
        r->tag = R_FLOAT;
    /* go-yaml then retries "0b…" and "-0b…" in base 2, which ParseInt with
     * base 0 has already accepted or refused for the same reasons. */
    if (plain != small)
        free(plain);
}

/* go-yaml's isBase60Float: ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
 * Such strings are quoted on output although they read back as strings. */
static bool is_base60_float(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !memchr(s, ':', n))
        return false;
    if (s[i] == '+' || s[i] == '-')
        i++;
    if (!digit_at(s, n, i))
        return false;
    i++;
    while (i < n && (digit_at(s, n, i) || s[i] == '_'))
        i++;
    int groups = 0;
    while (i < n && s[i] == ':') {
        i++;
        /* [0-5]?[0-9] */
        if (digit_at(s, n, i) && s[i] <= '5' && digit_at(s, n, i + 1))
            i += 2;
        else if (digit_at(s, n, i))
            i++;
        else
            return false;
        groups++;
    }
    if (groups == 0)
        return false;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && (digit_at(s, n, i) || s[i] == '_'))
            i++;
    }
    return i == n;
}

/* ------------------------------------------------------------------------
 * The node tree (go-yaml's parser.go).
 */

enum nkind { N_SCALAR, N_SEQ, N_MAP, N_ALIAS };

struct ynode {
    enum nkind kind;
    int line;      /* 0-based, from the event's start mark */
    bool implicit; /* scalar: plain_implicit, i.e. plain and untagged */
    bool busy;     /* alias: being expanded (an anchor inside itself) */
    char *tag;     /* NULL when the node has none */
    char *value;   /* scalar text (may hold NULs), or the alias's anchor */
    size_t len;
    char *anchor;
    struct ynode *target; /* alias: the anchored node */
    struct ynode *first, *last, *next, *prev;
    struct ynode *all; /* every node of the document, to free them */
};

struct anchor_slot {
    const char *name;
    struct ynode *node;
};

struct loader {
    yaml_parser_t parser;
    struct ynode *all;
    struct anchor_slot *slots; /* open addressing, power-of-two size */
    size_t nslots, nused;
    struct ynode **stack;
    size_t depth, stack_cap;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct anchor_slot *anchor_find(struct loader *L, const char *name)
{
    if (!L->nslots)
        return NULL;
    size_t mask = L->nslots - 1;
    for (size_t i = hash_str(name) & mask;; i = (i + 1) & mask) {
        if (!L->slots[i].name || strcmp(L->slots[i].name, name) == 0)
            return &L->slots[i];
    }
}

/* Later definitions of a name replace earlier ones, as in go-yaml. The name
 * is owned by the node. Returns 0 or -ENOMEM. */
static int anchor_set(struct loader *L, const char *name, struct ynode *node)
{
    if ((L->nused + 1) * 2 > L->nslots) {
        size_t n = L->nslots ? L->nslots * 2 : 64;
        struct anchor_slot *old = L->slots;
        size_t oldn = L->nslots;
        L->slots = calloc(n, sizeof *L->slots);
        if (!L->slots) {
            L->slots = old;
            return -ENOMEM;
        }
        L->nslots = n;
        L->nused = 0;
        for (size_t i = 0; i < oldn; i++) {
            if (old[i].name) {
                struct anchor_slot *s = anchor_find(L, old[i].name);
                *s = old[i];
                L->nused++;
            }
        }
        free(old);
    }
    struct anchor_slot *s = anchor_find(L, name);
    if (!s->name)
        L->nused++;
    s->name = name;
    s->node = node;
    return 0;
}

static void free_nodes(struct loader *L)
{
    struct ynode *n = L->all;
    while (n) {
        struct ynode *next = n->all;
        free(n->tag);
        free(n->value);
        free(n->anchor);
        free(n);
        n = next;
    }
    L->all = NULL;
    free(L->slots);
    L->slots = NULL;
    L->nslots = L->nused = 0;
    L->depth = 0;
}

static char *dup_str(const unsigned char *s)
{
    return s ? strdup((const char *)s) : NULL;
}

static char *dup_mem(const unsigned char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* go-yaml's parser.fail(): the line of the problem (1-based for scanner
 * errors, 0-based for parser errors: go-yaml's own quirk, kept because users
 * see it), or of the context when the problem is on line 0, and no line at
 * all when both are 0. */
static int parser_fail(const yaml_parser_t *p, struct err *e)
{
    size_t line = 0;
    if (p->error == YAML_MEMORY_ERROR)
        return err_set(e, "yaml: out of memory");
    if (p->problem_mark.line != 0) {
        line = p->problem_mark.line;
        if (p->error == YAML_SCANNER_ERROR)
            line++;
    } else if (p->context_mark.line != 0) {
        line = p->context_mark.line;
    }
    const char *msg = p->problem ? p->problem : "unknown problem parsing YAML content";
    if (line)
        return err_set(e, "yaml: line %zu: %s", line, msg);
    return err_set(e, "yaml: %s", msg);
}

static int oom(struct err *e)
{
    return err_set(e, "yaml: out of memory");
}

/* Reads the events of one document (DOCUMENT-START already consumed) up to
 * its DOCUMENT-END into a node tree; *root is owned by L->all. */
static int build_document(struct loader *L, struct ynode **root, struct err *e)
{
    yaml_event_t ev;
    *root = NULL;

    for (;;) {
        if (!yaml_parser_parse(&L->parser, &ev))
            return parser_fail(&L->parser, e);
        if (ev.type == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            if (L->depth > 0)
                L->depth--;
            continue;
        }
        if (ev.type != YAML_SCALAR_EVENT && ev.type != YAML_ALIAS_EVENT &&
            ev.type != YAML_SEQUENCE_START_EVENT && ev.type != YAML_MAPPING_START_EVENT) {
            yaml_event_delete(&ev);
            return err_set(e, "yaml: unexpected event in document");
        }

        struct ynode *n = calloc(1, sizeof *n);
        if (!n) {
            yaml_event_delete(&ev);
            return oom(e);
        }
        n->all = L->all;
        L->all = n;
        n->line = (int)(ev.start_mark.line > INT32_MAX ? INT32_MAX : ev.start_mark.line);

        const unsigned char *anchor = NULL, *tag = NULL;
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            n->kind = N_SCALAR;
            n->implicit = ev.data.scalar.plain_implicit;
            n->len = ev.data.scalar.length;
            n->value = dup_mem(ev.data.scalar.value, n->len);
            anchor = ev.data.scalar.anchor;
            tag = ev.data.scalar.tag;
            if (!n->value)
                goto fail_oom;
            break;
        case YAML_ALIAS_EVENT: {
            n->kind = N_ALIAS;
            n->value = dup_str(ev.data.alias.anchor);
            if (!n->value)
                goto fail_oom;
            n->len = strlen(n->value);
            struct anchor_slot *s = anchor_find(L, n->value);
            if (!s || !s->name) {
                yaml_event_delete(&ev);
                return err_set(e, "yaml: unknown anchor '%s' referenced", n->value);
            }
            n->target = s->node;
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
            n->kind = N_SEQ;
            anchor = ev.data.sequence_start.anchor;
            tag = ev.data.sequence_start.tag;
            break;
        default:
            n->kind = N_MAP;
            anchor = ev.data.mapping_start.anchor;
            tag = ev.data.mapping_start.tag;
            break;
        }
        if (tag && !(n->tag = dup_str(tag)))
            goto fail_oom;
        if (anchor) {
            if (!(n->anchor = dup_str(anchor)) || anchor_set(L, n->anchor, n) < 0)
                goto fail_oom;
        }
        yaml_event_delete(&ev);

        if (L->depth == 0) {
            if (*root)
                return err_set(e, "yaml: unexpected event in document");
            *root = n;
        } else {
            struct ynode *parent = L->stack[L->depth - 1];
            n->prev = parent->last;
            if (parent->last)
                parent->last->next = n;
            else
                parent->first = n;
            parent->last = n;
        }
        if (n->kind == N_SEQ || n->kind == N_MAP) {
            if (L->depth >= YAML_MAX_DEPTH)
                return err_set(e, "yaml: line %d: exceeded max depth of %d", n->line + 1,
                               YAML_MAX_DEPTH);
            if (L->depth == L->stack_cap) {
                size_t cap = L->stack_cap ? L->stack_cap * 2 : 32;
                struct ynode **st = realloc(L->stack, cap * sizeof *st);
                if (!st)
                    return oom(e);
                L->stack = st;
                L->stack_cap = cap;
            }
            L->stack[L->depth++] = n;
        }
        continue;

    fail_oom:
        yaml_event_delete(&ev);
        return oom(e);
    }
}

/* ------------------------------------------------------------------------
 * Decoding (go-yaml's decoder, into interface{}) and the JSON conversion.
 */

/* The Go type go-yaml gave a value; map keys are converted from it. */
enum gotype { G_NIL, G_BOOL, G_INT, G_UINT, G_FLOAT, G_STR, G_MAP, G_SEQ };

struct gval {
    enum gotype type;
    double f;   /* G_FLOAT, also when JSON cannot hold it (inf, nan) */
    uint64_t u; /* G_UINT */
};

struct dec {
    long decode_count, alias_count, alias_depth;
    size_t alias_bytes;
    struct err *e;
    /* Errors that sigs.k8s.io/yaml finds after go-yaml is done: an
     * unsupported key type (conversion), then a value JSON cannot hold. */
    char pending_convert[ERR_MSG_MAX];
    char pending_json[ERR_MSG_MAX];
};

/* go-yaml's allowedAliasRatio. */
static double allowed_alias_ratio(long count)
{
    if (count <= 400000)
        return 0.99;
    if (count >= 4000000)
        return 0.10;
    return 0.99 - 0.89 * ((double)(count - 400000) / 3600000.0);
}

/* go-yaml counts every unmarshal step to catch billion-laughs documents. */
static int count_step(struct dec *d)
{
    d->decode_count++;
    if (d->alias_depth > 0)
        d->alias_count++;
    if (d->alias_count > 100 && d->decode_count > 1000 &&
        (double)d->alias_count / (double)d->decode_count > allowed_alias_ratio(d->decode_count))
        return err_set(d->e, "yaml: document contains excessive aliasing");
    return 0;
}

static const char *short_tag(const char *tag, char *buf, size_t n)
{
    size_t plen = strlen(TAG_PREFIX);
    if (strncmp(tag, TAG_PREFIX, plen) == 0) {
        snprintf(buf, n, "!!%s", tag + plen);
        return buf;
    }
    return tag;
}

static const char *rtag_name(enum rtag t)
{
    switch (t) {
    case R_STR:
        return TAG_STR;
    case R_NULL:
        return TAG_NULL;
    case R_BOOL:
        return TAG_BOOL;
    case R_INT:
    case R_UINT:
        return TAG_INT;
    case R_FLOAT:
        return TAG_FLOAT;
    case R_TIMESTAMP:
        return TAG_TIMESTAMP;
    case R_MERGE:
        return TAG_MERGE;
    }
    return TAG_STR;
}

/* Go's base64.StdEncoding.DecodeString: newlines are skipped, padding is
 * required, nothing may follow it. Returns a new buffer (length in *outlen)
 * or NULL, with *nomem telling out-of-memory from invalid data. */
static char *base64_decode(const char *s, size_t n, size_t *outlen, bool *nomem)
{
    char *out = malloc(n / 4 * 3 + 3);
    unsigned char q[4];
    size_t nq = 0, o = 0;
    int pads = 0; /* '=' seen */

    *nomem = !out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int v;
        if (c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            /* "xx==" and "xxx=" end the data. */
            if ((nq == 2 && pads < 2) || (nq == 3 && pads == 0)) {
                pads++;
                continue;
            }
            goto bad;
        }
        if (pads)
            goto bad;
        if (c >= 'A' && c <= 'Z')
            v = c - 'A';
        else if (c >= 'a' && c <= 'z')
            v = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            v = c - '0' + 52;
        else if (c == '+')
            v = 62;
        else if (c == '/')
            v = 63;
        else
            goto bad;
        q[nq++] = (unsigned char)v;
        if (nq == 4) {
            out[o++] = (char)(q[0] << 2 | q[1] >> 4);
            out[o++] = (char)(q[1] << 4 | q[2] >> 2);
            out[o++] = (char)(q[2] << 6 | q[3]);
            nq = 0;
        }
    }
    if (nq == 2 && pads == 2) {
        out[o++] = (char)(q[0] << 2 | q[1] >> 4);
    } else if (nq == 3 && pads == 1) {
        out[o++] = (char)(q[0] << 2 | q[1] >> 4);
        out[o++] = (char)(q[1] << 4 | q[2] >> 2);
    } else if (nq != 0 || pads != 0) {
        goto bad;
    }
    *outlen = o;
    return out;
bad:
    free(out);
    return NULL;
}

static int make_string(struct dec *d, const char *s, size_t n, json_t **out, struct gval *gv)
{
    if (utf8_valid(s, n)) {
        *out = json_stringn(s, n);
    } else {
        size_t m;
        char *t = utf8_sanitize(s, n, &m);
        if (!t)
            return oom(d->e);
        *out = json_stringn(t, m);
        free(t);
    }
    if (!*out)
        return oom(d->e);
    gv->type = G_STR;
    return 0;
}

static void pend_json_float(struct dec *d, double f)
{
    if (!d->pending_json[0])
        snprintf(d->pending_json, sizeof d->pending_json, "json: unsupported value: %s",
                 isnan(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf");
}

/* go-yaml's decoder.scalar() into an interface{}. */
static int decode_scalar(struct dec *d, struct ynode *n, json_t **out, struct gval *gv)
{
    char b1[128], b2[128];
    struct resolved r;

    if (d->alias_depth > 0) {
        d->alias_bytes += n->len;
        if (d->alias_bytes > ALIAS_MAX_BYTES)
            return err_set(d->e, "yaml: document contains excessive aliasing");
    }
    if (!n->tag && !n->implicit)
        return make_string(d, n->value, n->len, out, gv);

    const char *tag = n->tag;
    bool resolvable = !tag || !strcmp(tag, TAG_STR) || !strcmp(tag, TAG_BOOL) ||
                      !strcmp(tag, TAG_INT) || !strcmp(tag, TAG_FLOAT) ||
                      !strcmp(tag, TAG_NULL) || !strcmp(tag, TAG_TIMESTAMP);
    if (!resolvable) {
        if (strcmp(tag, TAG_BINARY) == 0) {
            size_t m;
            bool nomem;
            char *raw = base64_decode(n->value, n->len, &m, &nomem);
            if (!raw)
                return nomem ? oom(d->e)
                             : err_set(d->e, "yaml: !!binary value contains invalid base64 data");
            int rc = make_string(d, raw, m, out, gv);
            free(raw);
            return rc;
        }
        /* Unknown and local tags (!foo, !!map on a scalar…) leave a string. */
        return make_string(d, n->value, n->len, out, gv);
    }

    bool want_ts = !tag || !strcmp(tag, TAG_TIMESTAMP);
    resolve(n->value, n->len, tag && !strcmp(tag, TAG_STR), want_ts, &r);
    if (tag && strcmp(tag, TAG_STR) != 0 && strcmp(tag, rtag_name(r.tag)) != 0) {
        if (!strcmp(tag, TAG_FLOAT) && r.tag == R_INT) {
            r.tag = R_FLOAT;
            r.f = (double)r.i;
        } else {
            /* The value goes into the message as is, like go-yaml's %s. */
            return err_set(d->e, "yaml: cannot decode %s `%.*s` as a %s",
                           short_tag(rtag_name(r.tag), b1, sizeof b1), (int)(n->len > 512 ? 512 : n->len),
                           n->value, short_tag(tag, b2, sizeof b2));
        }
    }

    switch (r.tag) {
    case R_NULL:
        gv->type = G_NIL;
        *out = json_null();
        break;
    case R_BOOL:
        gv->type = G_BOOL;
        *out = json_boolean(r.b);
        break;
    case R_INT:
        gv->type = G_INT;
        *out = json_integer(r.i);
        break;
    case R_UINT:
        /* jansson has no uint64: past INT64_MAX the value becomes a float. */
        gv->type = G_UINT;
        gv->u = r.u;
        *out = json_real((double)r.u);
        break;
    case R_FLOAT:
        gv->type = G_FLOAT;
        gv->f = r.f;
        if (!isfinite(r.f)) {
            pend_json_float(d, r.f);
            *out = json_null();
        } else {
            *out = json_real(r.f);
        }
        break;
    case R_STR:
    case R_TIMESTAMP: /* go-yaml keeps timestamps as their text in interface{} */
    case R_MERGE:
        return make_string(d, n->value, n->len, out, gv);
    }
    if (!*out)
        return oom(d->e);
    return 0;
}

/* Go's %#v of a decoded value, for the messages that print one. Only as
 * faithful as those rare messages need. */
static void go_sharp_v(struct buf *b, const json_t *v, const struct gval *gv, bool nested)
{
    if (b->len > 300)
        return;
    if (gv && gv->type == G_UINT) {
        buf_addf(b, "0x%" PRIx64, gv->u);
        return;
    }
    if (gv && gv->type == G_FLOAT && !isfinite(gv->f)) {
        buf_adds(b, isnan(gv->f) ? "NaN" : gv->f > 0 ? "+Inf" : "-Inf");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_NULL:
        buf_adds(b, nested ? "interface {}(nil)" : "<nil>");
        break;
    case JSON_TRUE:
        buf_adds(b, "true");
        break;
    case JSON_FALSE:
        buf_adds(b, "false");
        break;
    case JSON_INTEGER:
        buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL: {
        char s[40];
        format_g(json_real_value(v), 64, s);
        buf_adds(b, s);
        break;
    }
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        buf_addc(b, '"');
        for (size_t i = 0; i < n && b->len < 300; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '"' || c == '\\')
                buf_addf(b, "\\%c", c);
            else if (c == '\n')
                buf_adds(b, "\\n");
            else if (c == '\t')
                buf_adds(b, "\\t");
            else if (c < 0x20 || c == 0x7F)
                buf_addf(b, "\\x%02x", c);
            else
                buf_addc(b, (char)c);
        }
        buf_addc(b, '"');
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        buf_adds(b, "[]interface {}{");
        json_array_foreach(v, i, x)
        {
            if (i)
                buf_adds(b, ", ");
            go_sharp_v(b, x, NULL, true);
        }
        buf_addc(b, '}');
        break;
    }
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        bool first = true;
        buf_adds(b, "map[interface {}]interface {}{");
        json_object_foreach((json_t *)v, k, x)
        {
            if (!first)
                buf_adds(b, ", ");
            first = false;
            json_t *ks = json_string(k);
            if (ks)
                go_sharp_v(b, ks, NULL, true);
            json_decref(ks);
            buf_addc(b, ':');
            go_sharp_v(b, x, NULL, true);
        }
        buf_addc(b, '}');
        break;
    }
    }
}

/* sigs.k8s.io/yaml's key conversion: strings stay, ints and bools are
 * spelled out, floats go through FormatFloat(f, 'g', -1, 32). Other key
 * types make the conversion fail, reported once go-yaml would be done.
 * Returns a new string in *key, NULL for an unsupported key, -1 on OOM. */
static int convert_key(struct dec *d, const json_t *k, const struct gval *kg, const json_t *v,
                       const struct gval *vg, char **key, size_t *keylen)
{
    char s[64];
    *key = NULL;
    switch (kg->type) {
    case G_STR:
        *keylen = json_string_length(k);
        *key = dup_mem((const unsigned char *)json_string_value(k), *keylen);
        return *key ? 0 : oom(d->e);
    case G_INT:
        snprintf(s, sizeof s, "%" JSON_INTEGER_FORMAT, json_integer_value(k));
        break;
    case G_BOOL:
        strcpy(s, json_is_true(k) ? "true" : "false");
        break;
    case G_FLOAT:
        format_g(kg->f, 32, s);
        break;
    default:
        if (!d->pending_convert[0]) {
            struct buf kb = BUF_INIT, vb = BUF_INIT;
            go_sharp_v(&kb, k, kg, false);
            go_sharp_v(&vb, v, vg, false);
            snprintf(d->pending_convert, sizeof d->pending_convert,
                     "unsupported map key of type: %s, key: %s, value: %s",
                     kg->type == G_NIL ? "%!s(<nil>)" : "uint64", buf_str(&kb), buf_str(&vb));
            buf_fini(&kb);
            buf_fini(&vb);
        }
        return 0;
    }
    *keylen = strlen(s);
    *key = strdup(s);
    return *key ? 0 : oom(d->e);
}

static int decode(struct dec *d, struct ynode *n, int depth, json_t **out, struct gval *gv);
static int decode_mapping_into(struct dec *d, struct ynode *n, json_t *obj, int depth);

static int fail_want_map(struct dec *d)
{
    return err_set(d->e, "yaml: map merge requires map or sequence of maps as the value");
}

/* go-yaml's decoder.alias() around <fn>: an alias met again while it is
 * being expanded means the anchor contains itself. */
static int enter_alias(struct dec *d, struct ynode *a)
{
    if (a->busy)
        return err_set(d->e, "yaml: anchor '%s' value contains itself", a->value);
    a->busy = true;
    d->alias_depth++;
    return 0;
}

static void leave_alias(struct dec *d, struct ynode *a)
{
    a->busy = false;
    d->alias_depth--;
}

/* unmarshal() of a mapping node (or an alias of one) into an existing map. */
static int merge_one(struct dec *d, struct ynode *n, json_t *obj, int depth)
{
    int rc;
    if (count_step(d) < 0)
        return -1;
    if (n->kind != N_ALIAS)
        return decode_mapping_into(d, n, obj, depth);
    if (enter_alias(d, n) < 0)
        return -1;
    rc = count_step(d);
    if (rc == 0)
        rc = decode_mapping_into(d, n->target, obj, depth);
    leave_alias(d, n);
    return rc;
}

/* go-yaml's decoder.merge(): the value of a "<<" key is a map, an alias of
 * one, or a sequence of those; earlier maps in a sequence take precedence,
 * and merged keys replace keys set before the "<<" (go-yaml v2's order). */
static int merge(struct dec *d, struct ynode *n, json_t *obj, int depth)
{
    switch (n->kind) {
    case N_MAP:
        return merge_one(d, n, obj, depth);
    case N_ALIAS:
        if (n->target->kind != N_MAP)
            return fail_want_map(d);
        return merge_one(d, n, obj, depth);
    case N_SEQ:
        for (struct ynode *c = n->last; c; c = c->prev) {
            if (c->kind == N_ALIAS ? c->target->kind != N_MAP : c->kind != N_MAP)
                return fail_want_map(d);
            if (merge_one(d, c, obj, depth) < 0)
                return -1;
        }
        return 0;
    default:
        return fail_want_map(d);
    }
}

static bool is_merge(const struct ynode *n)
{
    return n->kind == N_SCALAR && n->len == 2 && memcmp(n->value, "<<", 2) == 0 &&
           (n->implicit || (n->tag && strcmp(n->tag, TAG_MERGE) == 0));
}

/* go-yaml's decoder.mapping() for a map[interface{}]interface{} target. */
static int decode_mapping_into(struct dec *d, struct ynode *n, json_t *obj, int depth)
{
    for (struct ynode *k = n->first; k; k = k->next ? k->next->next : NULL) {
        struct ynode *v = k->next;
        json_t *kj = NULL, *vj = NULL;
        struct gval kg = {G_NIL, 0, 0}, vg = {G_NIL, 0, 0};
        char *key = NULL;
        size_t keylen = 0;

        if (!v)
            break; /* libyaml always pairs keys and values; be safe anyway */
        if (is_merge(k)) {
            if (merge(d, v, obj, depth) < 0)
                return -1;
            continue;
        }
        if (decode(d, k, depth, &kj, &kg) < 0)
            return -1;
        if (kg.type == G_MAP || kg.type == G_SEQ) {
            struct buf b = BUF_INIT;
            go_sharp_v(&b, kj, NULL, false);
            err_set(d->e, "yaml: invalid map key: %s", buf_str(&b));
            buf_fini(&b);
            json_decref(kj);
            return -1;
        }
        if (decode(d, v, depth, &vj, &vg) < 0) {
            json_decref(kj);
            return -1;
        }
        int rc = convert_key(d, kj, &kg, vj, &vg, &key, &keylen);
        json_decref(kj);
        if (rc < 0) {
            json_decref(vj);
            return -1;
        }
        if (!key) {
            json_decref(vj);
            continue;
        }
        /* Binary keys may hold invalid UTF-8, which JSON turns into U+FFFD. */
        if (!utf8_valid(key, keylen)) {
            size_t m;
            char *t = utf8_sanitize(key, keylen, &m);
            free(key);
            if (!t) {
                json_decref(vj);
                return oom(d->e);
            }
            key = t;
            keylen = m;
        }
        rc = json_object_setn_new(obj, key, keylen, vj);
        free(key);
        if (rc < 0)
            return oom(d->e);
    }
    return 0;
}

/* go-yaml's decoder.unmarshal() into an interface{}: a new value in *out
 * (owned by the caller) and its Go type in *gv. <depth>: collections above. */
static int decode(struct dec *d, struct ynode *n, int depth, json_t **out, struct gval *gv)
{
    *out = NULL;
    gv->type = G_NIL;
    if (count_step(d) < 0)
        return -1;

    switch (n->kind) {
    case N_ALIAS: {
        if (enter_alias(d, n) < 0)
            return -1;
        int rc = decode(d, n->target, depth, out, gv);
        leave_alias(d, n);
        return rc;
    }
    case N_SCALAR:
        return decode_scalar(d, n, out, gv);
    case N_SEQ:
    case N_MAP:
        break;
    }

    if (depth >= YAML_MAX_DEPTH)
        return err_set(d->e, "yaml: line %d: exceeded max depth of %d", n->line + 1,
                       YAML_MAX_DEPTH);
    if (n->kind == N_SEQ) {
        json_t *arr = json_array();
        if (!arr)
            return oom(d->e);
        for (struct ynode *c = n->first; c; c = c->next) {
            json_t *x;
            struct gval xg;
            if (decode(d, c, depth + 1, &x, &xg) < 0) {
                json_decref(arr);
                return -1;
            }
            if (json_array_append_new(arr, x) < 0) {
                json_decref(arr);
                return oom(d->e);
            }
        }
        gv->type = G_SEQ;
        *out = arr;
        return 0;
    }
    json_t *obj = json_object();
    if (!obj)
        return oom(d->e);
    if (decode_mapping_into(d, n, obj, depth + 1) < 0) {
        json_decref(obj);
        return -1;
    }
    gv->type = G_MAP;
    *out = obj;
    return 0;
}

/* Decodes a document's tree and applies sigs.k8s.io/yaml's conversion. */
static int decode_document(struct ynode *root, json_t **out, struct err *e)
{
    struct dec d;
    struct gval gv;

    memset(&d, 0, sizeof d);
    d.e = e;
    *out = NULL;
    if (!root) {
        *out = json_null();
        return *out ? 0 : oom(e);
    }
    d.decode_count = 1; /* go-yaml's document node */
    if (decode(&d, root, 0, out, &gv) < 0)
        return -1;
    if (d.pending_convert[0] || d.pending_json[0]) {
        json_decref(*out);
        *out = NULL;
        return err_set(e, "%s", d.pending_convert[0] ? d.pending_convert : d.pending_json);
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Loading.
 */

static int loader_init(struct loader *L, const char *data, size_t len, struct err *e)
{
    memset(L, 0, sizeof *L);
    if (len > YAML_MAX_INPUT)
        return err_set(e, "yaml: input is larger than %zu bytes", YAML_MAX_INPUT);
    if (!yaml_parser_initialize(&L->parser))
        return oom(e);
    yaml_parser_set_input_string(&L->parser, (const unsigned char *)data, len);
    return 0;
}

static void loader_fini(struct loader *L)
{
    free_nodes(L);
    free(L->stack);
    yaml_parser_delete(&L->parser);
}

/* Reads up to the start of the next document. Returns 1 when one starts,
 * 0 at the end of the stream, -1 on error. */
static int next_document(struct loader *L, struct err *e)
{
    yaml_event_t ev;
    for (;;) {
        if (!yaml_parser_parse(&L->parser, &ev))
            return parser_fail(&L->parser, e);
        yaml_event_type_t t = ev.type;
        yaml_event_delete(&ev);
        if (t == YAML_DOCUMENT_START_EVENT)
            return 1;
        if (t == YAML_STREAM_END_EVENT)
            return 0;
        if (t != YAML_STREAM_START_EVENT)
            return err_set(e, "yaml: unexpected event between documents");
    }
}

/* Parses and decodes one document once its start has been read. */
static int load_document(struct loader *L, json_t **out, struct err *e)
{
    struct ynode *root;
    int rc = build_document(L, &root, e);
    if (rc == 0)
        rc = decode_document(root, out, e);
    free_nodes(L);
    return rc;
}

int yaml_load(const char *data, size_t len, json_t **docs, struct err *e)
{
    struct loader L;
    json_t *arr = NULL;

    *docs = NULL;
    if (loader_init(&L, data, len, e) < 0)
        return -1;
    arr = json_array();
    if (!arr) {
        oom(e);
        goto fail;
    }
    for (;;) {
        json_t *doc;
        int rc = next_document(&L, e);
        if (rc < 0)
            goto fail;
        if (rc == 0)
            break;
        if (load_document(&L, &doc, e) < 0)
            goto fail;
        if (json_is_null(doc)) {
            json_decref(doc);
            continue;
        }
        if (json_array_append_new(arr, doc) < 0) {
            oom(e);
            goto fail;
        }
    }
    loader_fini(&L);
    *docs = arr;
    return 0;
fail:
    json_decref(arr);
    loader_fini(&L);
    return -1;
}

int yaml_load_one(const char *data, size_t len, json_t **doc, struct err *e)
{
    struct loader L;
    int rc;

    *doc = NULL;
    if (loader_init(&L, data, len, e) < 0)
        return -1;
    rc = next_document(&L, e);
    if (rc == 1) {
        rc = load_document(&L, doc, e);
    } else if (rc == 0) {
        *doc = json_null();
        rc = *doc ? 0 : oom(e);
    }
    loader_fini(&L);
    return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Emitting (JSONToYAML: go-yaml's encoder on libyaml's emitter).
 */

struct emitter {
    yaml_emitter_t em;
    struct buf *out;
    bool nomem;
};

static int write_out(void *data, unsigned char *buffer, size_t size)
{
    struct emitter *E = data;
    if (buf_add(E->out, buffer, size) < 0) {
        E->nomem = true;
        return 0;
    }
    return 1;
}

static int emit_scalar(struct emitter *E, const char *s, size_t n, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    /* Implicit both ways and no tag, as go-yaml's emitScalar for untagged
     * values: the emitter may still fall back to quotes. */
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, style))
        return -ENOMEM;
    if (!yaml_emitter_emit(&E->em, &ev))
        return -ENOMEM;
    return 0;
}

/* go-yaml's encoder.stringv() for a valid UTF-8 string: multi-line strings
 * as literal blocks, strings that would read back as something else (or as
 * a base-60 float) double-quoted, the rest plain; libyaml's emitter falls
 * back to single or double quotes where plain or block is not possible. */
static int emit_string(struct emitter *E, const char *s, size_t n)
{
    yaml_scalar_style_t style;
    struct resolved r;

    if (memchr(s, '\n', n)) {
        style = YAML_LITERAL_SCALAR_STYLE;
    } else {
        resolve(s, n, false, true, &r);
        style = r.tag == R_STR && !is_base60_float(s, n) ? YAML_PLAIN_SCALAR_STYLE
                                                          : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    }
    return emit_scalar(E, s, n, style);
}

/* A float64 as kubectl writes it: Go's JSON text for it, read back by
 * go-yaml (an int when it looks like one: 3.0 is "3", 1e19 stays
 * 10000000000000000000), then FormatFloat(f, 'g', -1, 64). */
static int emit_float(struct emitter *E, double f)
{
    char text[40], s[40];
    struct resolved r;

    if (!isfinite(f))
        return -EINVAL;
    format_json_float(f, text);
    resolve(text, strlen(text), false, false, &r);
    if (r.tag == R_INT)
        snprintf(s, sizeof s, "%" PRId64, r.i);
    else if (r.tag == R_UINT)
        snprintf(s, sizeof s, "%" PRIu64, r.u);
    else
        format_g(r.tag == R_FLOAT ? r.f : f, 64, s);
    return emit_scalar(E, s, strlen(s), YAML_PLAIN_SCALAR_STYLE);
}

struct skey {
    const char *s; /* the key as kubectl sees it: json_round_trip() applied */
    char *owned;   /* <s> when json_round_trip() made a copy */
    size_t n;
    const json_t *v;
    uint32_t *runes;
    size_t nr;
};

/* go-yaml's keyList.Less for two string keys: a natural order where runs of
 * digits compare as numbers and letters sort after everything else. Ported
 * as is, int64 wrap-around included. */
static bool key_less(const struct skey *ka, const struct skey *kb)
{
    const uint32_t *a = ka->runes, *b = kb->runes;
    size_t na = ka->nr, nb = kb->nr;

    for (size_t i = 0; i < na && i < nb; i++) {
        if (a[i] == b[i])
            continue;
        bool al = is_letter(a[i]), bl = is_letter(b[i]);
        if (al && bl)
            return a[i] < b[i];
        if (al || bl)
            return bl;
        uint64_t an = 0, bn = 0;
        size_t ai, bi;
        if (a[i] == '0' || b[i] == '0') {
            for (size_t j = i; j-- > 0 && is_digit(a[j]);) {
                if (a[j] != '0') {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        for (ai = i; ai < na && is_digit(a[ai]); ai++)
            an = an * 10 + (uint64_t)(int64_t)((int32_t)a[ai] - '0');
        for (bi = i; bi < nb && is_digit(b[bi]); bi++)
            bn = bn * 10 + (uint64_t)(int64_t)((int32_t)b[bi] - '0');
        if (an != bn)
            return (int64_t)an < (int64_t)bn;
        if (ai != bi)
            return ai < bi;
        return a[i] < b[i];
    }
    return na < nb;
}

/* A stable merge sort: keyList.Less is a total order on distinct strings,
 * so any correct sort gives go-yaml's order. */
static void sort_keys(struct skey *k, struct skey *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_keys(k, tmp, h);
    sort_keys(k + h, tmp, n - h);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n)
        tmp[o++] = key_less(&k[j], &k[i]) ? k[j++] : k[i++];
    while (i < h)
        tmp[o++] = k[i++];
    while (j < n)
        tmp[o++] = k[j++];
    memcpy(k, tmp, n * sizeof *k);
}

static int emit_value(struct emitter *E, const json_t *v, int depth);

/* kubectl's YAML comes from go-yaml reading Go's JSON text back. Two things
 * change a string on that trip: invalid UTF-8 became U+FFFD in the JSON, and
 * U+0085 (NEL), which encoding/json leaves raw, is a line break inside a
 * double-quoted YAML scalar, so it is folded: the spaces around a run of
 * breaks go, one break becomes a space, n breaks become n-1 newlines.
 * Returns <s> itself when nothing changes, else a new string to free
 * (length in *outlen), or NULL when out of memory. */
static char *json_round_trip(const char *s, size_t n, size_t *outlen)
{
    char *t = NULL;
    *outlen = n;
    if (!utf8_valid(s, n)) {
        t = utf8_sanitize(s, n, outlen);
        if (!t)
            return NULL;
        s = t;
        n = *outlen;
    }
    if (!memmem(s, n, "\xC2\x85", 2))
        return t ? t : (char *)s;

    char *o = malloc(n + 1);
    size_t k = 0;
    if (!o) {
        free(t);
        return NULL;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i, breaks = 0;
        while (j < n && (s[j] == ' ' || (j + 1 < n && s[j] == '\xC2' && s[j + 1] == '\x85'))) {
            if (s[j] == ' ') {
                j++;
            } else {
                breaks++;
                j += 2;
            }
        }
        if (j == i) {
            o[k++] = s[i++];
            continue;
        }
        if (breaks == 0) {
            memcpy(o + k, s + i, j - i);
            k += j - i;
        } else if (breaks == 1) {
            o[k++] = ' ';
        } else {
            memset(o + k, '\n', breaks - 1);
            k += breaks - 1;
        }
        i = j;
    }
    o[k] = '\0';
    free(t);
    *outlen = k;
    return o;
}

static int emit_text(struct emitter *E, const char *s, size_t n)
{
    size_t m;
    char *t = json_round_trip(s, n, &m);
    if (!t)
        return -ENOMEM;
    int rc = emit_string(E, t, m);
    if (t != s)
        free(t);
    return rc;
}

static int emit_object(struct emitter *E, const json_t *v, int depth)
{
    yaml_event_t ev;
    size_t n = json_object_size(v), i = 0;
    struct skey *keys = NULL, *tmp = NULL;
    int rc = -ENOMEM;

    if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
        !yaml_emitter_emit(&E->em, &ev))
        return -ENOMEM;
    if (n) {
        keys = calloc(n, sizeof *keys);
        tmp = calloc(n, sizeof *tmp);
        if (!keys || !tmp)
            goto out;
        json_t *obj = (json_t *)v; /* the iterators want non-const; nothing changes */
        for (void *it = json_object_iter(obj); it && i < n; it = json_object_iter_next(obj, it)) {
            struct skey *k = &keys[i++];
            const char *raw = json_object_iter_key(it);
            k->s = json_round_trip(raw, json_object_iter_key_len(it), &k->n);
            if (!k->s)
                goto out;
            if (k->s != raw)
                k->owned = (char *)k->s;
            k->v = json_object_iter_value(it);
            /* Go ranges over []rune(s): one rune per invalid byte too. */
            k->runes = malloc((k->n + 1) * sizeof *k->runes);
            if (!k->runes)
                goto out;
            for (size_t p = 0; p < k->n;)
                p += decode_rune((const unsigned char *)k->s + p, k->n - p, &k->runes[k->nr++]);
        }
        n = i;
        sort_keys(keys, tmp, n);
        for (i = 0; i < n; i++) {
            if ((rc = emit_string(E, keys[i].s, keys[i].n)) < 0 ||
                (rc = emit_value(E, keys[i].v, depth + 1)) < 0)
                goto out;
        }
    }
    rc = -ENOMEM;
    if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(&E->em, &ev))
        goto out;
    rc = 0;
out:
    if (keys) {
        for (i = 0; i < n; i++) {
            free(keys[i].runes);
            free(keys[i].owned);
        }
    }
    free(keys);
    free(tmp);
    return rc;
}

static int emit_value(struct emitter *E, const json_t *v, int depth)
{
    yaml_event_t ev;
    char num[32];
    int rc;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return emit_object(E, v, depth);
    case JSON_ARRAY:
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                  YAML_BLOCK_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(&E->em, &ev))
            return -ENOMEM;
        for (size_t i = 0; i < json_array_size(v); i++)
            if ((rc = emit_value(E, json_array_get(v, i), depth + 1)) < 0)
                return rc;
        if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(&E->em, &ev))
            return -ENOMEM;
        return 0;
    case JSON_STRING:
        return emit_text(E, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_scalar(E, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL:
        return emit_float(E, json_real_value(v));
    case JSON_TRUE:
        return emit_scalar(E, "true", 4, YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
        return emit_scalar(E, "false", 5, YAML_PLAIN_SCALAR_STYLE);
    case JSON_NULL:
        return emit_scalar(E, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    }
    return -EINVAL;
}

int yaml_emit(const json_t *v, struct buf *out)
{
    struct emitter E;
    yaml_event_t ev;
    int rc = -ENOMEM;

    memset(&E, 0, sizeof E);
    E.out = out;
    if (!yaml_emitter_initialize(&E.em))
        return -ENOMEM;
    yaml_emitter_set_output(&E.em, write_out, &E);
    /* go-yaml's newEncoder: non-ASCII text is written as is. Width (80) and
     * indent (2) stay at the defaults both libraries share. */
    yaml_emitter_set_unicode(&E.em, 1);

    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
        !yaml_emitter_emit(&E.em, &ev))
        goto out;
    if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
        !yaml_emitter_emit(&E.em, &ev))
        goto out;
    rc = v ? emit_value(&E, v, 0) : emit_scalar(&E, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    if (rc < 0)
        goto out;
    rc = -ENOMEM;
    if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&E.em, &ev))
        goto out;
    /* go-yaml's encoder.finish() clears open_ended before the stream end, so
     * a trailing "|+" block is not followed by "..." as libyaml would do. */
    E.em.open_ended = 0;
    if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&E.em, &ev))
        goto out;
    rc = 0;
out:
    yaml_emitter_delete(&E.em);
    if (rc == 0 && E.nomem)
        rc = -ENOMEM;
    return rc;
}
