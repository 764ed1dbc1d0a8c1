/* JSON output as Go's encoding/json writes it.
 *
 * kubectl prints `-o json` with json.MarshalIndent(obj, "", "    "), so every
 * byte here follows Go: the string escaper of encodeState.string with HTML
 * escaping on, floatEncoder for float64, and the layout of json.Indent. */
#include "core/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strv.h"

/* ------------------------------------------------------------------------
 * Go's text primitives, shared with yaml.c and jsonpath.c.
 */

struct urange {
    uint32_t lo, hi;
};

/* Generated from the Unicode Character Database (categories L* and Nd, code
 * points >= 0x80), as Go 1.23's unicode.IsLetter and unicode.IsDigit see
 * them: Python's Unicode 14.0 tables plus the letters and digits of 15.0. */
static const struct urange uni_letters[] = {
    {0xAA, 0xAA},       {0xB5, 0xB5},       {0xBA, 0xBA},       {0xC0, 0xD6},
    {0xD8, 0xF6},       {0xF8, 0x2C1},      {0x2C6, 0x2D1},     {0x2E0, 0x2E4},
    {0x2EC, 0x2EC},     {0x2EE, 0x2EE},     {0x370, 0x374},     {0x376, 0x377},
    {0x37A, 0x37D},     {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},
    {0x38C, 0x38C},     {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},
    {0x48A, 0x52F},     {0x531, 0x556},     {0x559, 0x559},     {0x560, 0x588},
    {0x5D0, 0x5EA},     {0x5EF, 0x5F2},     {0x620, 0x64A},     {0x66E, 0x66F},
    {0x671, 0x6D3},     {0x6D5, 0x6D5},     {0x6E5, 0x6E6},     {0x6EE, 0x6EF},
    {0x6FA, 0x6FC},     {0x6FF, 0x6FF},     {0x710, 0x710},     {0x712, 0x72F},
    {0x74D, 0x7A5},     {0x7B1, 0x7B1},     {0x7CA, 0x7EA},     {0x7F4, 0x7F5},
    {0x7FA, 0x7FA},     {0x800, 0x815},     {0x81A, 0x81A},     {0x824, 0x824},
    {0x828, 0x828},     {0x840, 0x858},     {0x860, 0x86A},     {0x870, 0x887},
    {0x889, 0x88E},     {0x8A0, 0x8C9},     {0x904, 0x939},     {0x93D, 0x93D},
    {0x950, 0x950},     {0x958, 0x961},     {0x971, 0x980},     {0x985, 0x98C},
    {0x98F, 0x990},     {0x993, 0x9A8},     {0x9AA, 0x9B0},     {0x9B2, 0x9B2},
    {0x9B6, 0x9B9},     {0x9BD, 0x9BD},     {0x9CE, 0x9CE},     {0x9DC, 0x9DD},
    {0x9DF, 0x9E1},     {0x9F0, 0x9F1},     {0x9FC, 0x9FC},     {0xA05, 0xA0A},
    {0xA0F, 0xA10},     {0xA13, 0xA28},     {0xA2A, 0xA30},     {0xA32, 0xA33},
    {0xA35, 0xA36},     {0xA38, 0xA39},     {0xA59, 0xA5C},     {0xA5E, 0xA5E},
    {0xA72, 0xA74},     {0xA85, 0xA8D},     {0xA8F, 0xA91},     {0xA93, 0xAA8},
    {0xAAA, 0xAB0},     {0xAB2, 0xAB3},     {0xAB5, 0xAB9},     {0xABD, 0xABD},
    {0xAD0, 0xAD0},     {0xAE0, 0xAE1},     {0xAF9, 0xAF9},     {0xB05, 0xB0C},
    {0xB0F, 0xB10},     {0xB13, 0xB28},     {0xB2A, 0xB30},     {0xB32, 0xB33},
    {0xB35, 0xB39},     {0xB3D, 0xB3D},     {0xB5C, 0xB5D},     {0xB5F, 0xB61},
    {0xB71, 0xB71},     {0xB83, 0xB83},     {0xB85, 0xB8A},     {0xB8E, 0xB90},
    {0xB92, 0xB95},     {0xB99, 0xB9A},     {0xB9C, 0xB9C},     {0xB9E, 0xB9F},
    {0xBA3, 0xBA4},     {0xBA8, 0xBAA},     {0xBAE, 0xBB9},     {0xBD0, 0xBD0},
    {0xC05, 0xC0C},     {0xC0E, 0xC10},     {0xC12, 0xC28},     {0xC2A, 0xC39},
    {0xC3D, 0xC3D},     {0xC58, 0xC5A},     {0xC5D, 0xC5D},     {0xC60, 0xC61},
    {0xC80, 0xC80},     {0xC85, 0xC8C},     {0xC8E, 0xC90},     {0xC92, 0xCA8},
    {0xCAA, 0xCB3},     {0xCB5, 0xCB9},     {0xCBD, 0xCBD},     {0xCDD, 0xCDE},
    {0xCE0, 0xCE1},     {0xCF1, 0xCF2},     {0xD04, 0xD0C},     {0xD0E, 0xD10},
    {0xD12, 0xD3A},     {0xD3D, 0xD3D},     {0xD4E, 0xD4E},     {0xD54, 0xD56},
    {0xD5F, 0xD61},     {0xD7A, 0xD7F},     {0xD85, 0xD96},     {0xD9A, 0xDB1},
    {0xDB3, 0xDBB},     {0xDBD, 0xDBD},     {0xDC0, 0xDC6},     {0xE01, 0xE30},
    {0xE32, 0xE33},     {0xE40, 0xE46},     {0xE81, 0xE82},     {0xE84, 0xE84},
    {0xE86, 0xE8A},     {0xE8C, 0xEA3},     {0xEA5, 0xEA5},     {0xEA7, 0xEB0},
    {0xEB2, 0xEB3},     {0xEBD, 0xEBD},     {0xEC0, 0xEC4},     {0xEC6, 0xEC6},
    {0xEDC, 0xEDF},     {0xF00, 0xF00},     {0xF40, 0xF47},     {0xF49, 0xF6C},
    {0xF88, 0xF8C},     {0x1000, 0x102A},   {0x103F, 0x103F},   {0x1050, 0x1055},
    {0x105A, 0x105D},   {0x1061, 0x1061},   {0x1065, 0x1066},   {0x106E, 0x1070},
    {0x1075, 0x1081},   {0x108E, 0x108E},   {0x10A0, 0x10C5},   {0x10C7, 0x10C7},
    {0x10CD, 0x10CD},   {0x10D0, 0x10FA},   {0x10FC, 0x1248},   {0x124A, 0x124D},
    {0x1250, 0x1256},   {0x1258, 0x1258},   {0x125A, 0x125D},   {0x1260, 0x1288},
    {0x128A, 0x128D},   {0x1290, 0x12B0},   {0x12B2, 0x12B5},   {0x12B8, 0x12BE},
    {0x12C0, 0x12C0},   {0x12C2, 0x12C5},   {0x12C8, 0x12D6},   {0x12D8, 0x1310},
    {0x1312, 0x1315},   {0x1318, 0x135A},   {0x1380, 0x138F},   {0x13A0, 0x13F5},
    {0x13F8, 0x13FD},   {0x1401, 0x166C},   {0x166F, 0x167F},   {0x1681, 0x169A},
    {0x16A0, 0x16EA},   {0x16F1, 0x16F8},   {0x1700, 0x1711},   {0x171F, 0x1731},
    {0x1740, 0x1751},   {0x1760, 0x176C},   {0x176E, 0x1770},   {0x1780, 0x17B3},
    {0x17D7, 0x17D7},   {0x17DC, 0x17DC},   {0x1820, 0x1878},   {0x1880, 0x1884},
    {0x1887, 0x18A8},   {0x18AA, 0x18AA},   {0x18B0, 0x18F5},   {0x1900, 0x191E},
    {0x1950, 0x196D},   {0x1970, 0x1974},   {0x1980, 0x19AB},   {0x19B0, 0x19C9},
    {0x1A00, 0x1A16},   {0x1A20, 0x1A54},   {0x1AA7, 0x1AA7},   {0x1B05, 0x1B33},
    {0x1B45, 0x1B4C},   {0x1B83, 0x1BA0},   {0x1BAE, 0x1BAF},   {0x1BBA, 0x1BE5},
    {0x1C00, 0x1C23},   {0x1C4D, 0x1C4F},   {0x1C5A, 0x1C7D},   {0x1C80, 0x1C88},
    {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1CE9, 0x1CEC},   {0x1CEE, 0x1CF3},
    {0x1CF5, 0x1CF6},   {0x1CFA, 0x1CFA},   {0x1D00, 0x1DBF},   {0x1E00, 0x1F15},
    {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},   {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},
    {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},   {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},
    {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},   {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},
    {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},   {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},
    {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},   {0x2071, 0x2071},   {0x207F, 0x207F},
    {0x2090, 0x209C},   {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},
    {0x2115, 0x2115},   {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},
    {0x2128, 0x2128},   {0x212A, 0x212D},   {0x212F, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2CE4},
    {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0x2D00, 0x2D25},   {0x2D27, 0x2D27},
    {0x2D2D, 0x2D2D},   {0x2D30, 0x2D67},   {0x2D6F, 0x2D6F},   {0x2D80, 0x2D96},
    {0x2DA0, 0x2DA6},   {0x2DA8, 0x2DAE},   {0x2DB0, 0x2DB6},   {0x2DB8, 0x2DBE},
    {0x2DC0, 0x2DC6},   {0x2DC8, 0x2DCE},   {0x2DD0, 0x2DD6},   {0x2DD8, 0x2DDE},
    {0x2E2F, 0x2E2F},   {0x3005, 0x3006},   {0x3031, 0x3035},   {0x303B, 0x303C},
    {0x3041, 0x3096},   {0x309D, 0x309F},   {0x30A1, 0x30FA},   {0x30FC, 0x30FF},
    {0x3105, 0x312F},   {0x3131, 0x318E},   {0x31A0, 0x31BF},   {0x31F0, 0x31FF},
    {0x3400, 0x4DBF},   {0x4E00, 0xA48C},   {0xA4D0, 0xA4FD},   {0xA500, 0xA60C},
    {0xA610, 0xA61F},   {0xA62A, 0xA62B},   {0xA640, 0xA66E},   {0xA67F, 0xA69D},
    {0xA6A0, 0xA6E5},   {0xA717, 0xA71F},   {0xA722, 0xA788},   {0xA78B, 0xA7CA},
    {0xA7D0, 0xA7D1},   {0xA7D3, 0xA7D3},   {0xA7D5, 0xA7D9},   {0xA7F2, 0xA801},
    {0xA803, 0xA805},   {0xA807, 0xA80A},   {0xA80C, 0xA822},   {0xA840, 0xA873},
    {0xA882, 0xA8B3},   {0xA8F2, 0xA8F7},   {0xA8FB, 0xA8FB},   {0xA8FD, 0xA8FE},
    {0xA90A, 0xA925},   {0xA930, 0xA946},   {0xA960, 0xA97C},   {0xA984, 0xA9B2},
    {0xA9CF, 0xA9CF},   {0xA9E0, 0xA9E4},   {0xA9E6, 0xA9EF},   {0xA9FA, 0xA9FE},
    {0xAA00, 0xAA28},   {0xAA40, 0xAA42},   {0xAA44, 0xAA4B},   {0xAA60, 0xAA76},
    {0xAA7A, 0xAA7A},   {0xAA7E, 0xAAAF},   {0xAAB1, 0xAAB1},   {0xAAB5, 0xAAB6},
    {0xAAB9, 0xAABD},   {0xAAC0, 0xAAC0},   {0xAAC2, 0xAAC2},   {0xAADB, 0xAADD},
    {0xAAE0, 0xAAEA},   {0xAAF2, 0xAAF4},   {0xAB01, 0xAB06},   {0xAB09, 0xAB0E},
    {0xAB11, 0xAB16},   {0xAB20, 0xAB26},   {0xAB28, 0xAB2E},   {0xAB30, 0xAB5A},
    {0xAB5C, 0xAB69},   {0xAB70, 0xABE2},   {0xAC00, 0xD7A3},   {0xD7B0, 0xD7C6},
    {0xD7CB, 0xD7FB},   {0xF900, 0xFA6D},   {0xFA70, 0xFAD9},   {0xFB00, 0xFB06},
    {0xFB13, 0xFB17},   {0xFB1D, 0xFB1D},   {0xFB1F, 0xFB28},   {0xFB2A, 0xFB36},
    {0xFB38, 0xFB3C},   {0xFB3E, 0xFB3E},   {0xFB40, 0xFB41},   {0xFB43, 0xFB44},
    {0xFB46, 0xFBB1},   {0xFBD3, 0xFD3D},   {0xFD50, 0xFD8F},   {0xFD92, 0xFDC7},
    {0xFDF0, 0xFDFB},   {0xFE70, 0xFE74},   {0xFE76, 0xFEFC},   {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},   {0xFF66, 0xFFBE},   {0xFFC2, 0xFFC7},   {0xFFCA, 0xFFCF},
    {0xFFD2, 0xFFD7},   {0xFFDA, 0xFFDC},   {0x10000, 0x1000B}, {0x1000D, 0x10026},
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
    {0x660, 0x669},     {0x6F0, 0x6F9},     {0x7C0, 0x7C9},     {0x966, 0x96F},
    {0x9E6, 0x9EF},     {0xA66, 0xA6F},     {0xAE6, 0xAEF},     {0xB66, 0xB6F},
    {0xBE6, 0xBEF},     {0xC66, 0xC6F},     {0xCE6, 0xCEF},     {0xD66, 0xD6F},
    {0xDE6, 0xDEF},     {0xE50, 0xE59},     {0xED0, 0xED9},     {0xF20, 0xF29},
    {0x1040, 0x1049},   {0x1090, 0x1099},   {0x17E0, 0x17E9},   {0x1810, 0x1819},
    {0x1946, 0x194F},   {0x19D0, 0x19D9},   {0x1A80, 0x1A89},   {0x1A90, 0x1A99},
    {0x1B50, 0x1B59},   {0x1BB0, 0x1BB9},   {0x1C40, 0x1C49},   {0x1C50, 0x1C59},
    {0xA620, 0xA629},   {0xA8D0, 0xA8D9},   {0xA900, 0xA909},   {0xA9D0, 0xA9D9},
    {0xA9F0, 0xA9F9},   {0xAA50, 0xAA59},   {0xABF0, 0xABF9},   {0xFF10, 0xFF19},
    {0x104A0, 0x104A9}, {0x10D30, 0x10D39}, {0x11066, 0x1106F}, {0x110F0, 0x110F9},
    {0x11136, 0x1113F}, {0x111D0, 0x111D9}, {0x112F0, 0x112F9}, {0x11450, 0x11459},
    {0x114D0, 0x114D9}, {0x11650, 0x11659}, {0x116C0, 0x116C9}, {0x11730, 0x11739},
    {0x118E0, 0x118E9}, {0x11950, 0x11959}, {0x11C50, 0x11C59}, {0x11D50, 0x11D59},
    {0x11DA0, 0x11DA9}, {0x11F50, 0x11F59}, {0x16A60, 0x16A69}, {0x16AC0, 0x16AC9},
    {0x16B50, 0x16B59}, {0x1D7CE, 0x1D7FF}, {0x1E140, 0x1E149}, {0x1E2F0, 0x1E2F9},
    {0x1E4F0, 0x1E4F9}, {0x1E950, 0x1E959}, {0x1FBF0, 0x1FBF9},
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

bool json_rune_is_letter(uint32_t r)
{
    if (r < 0x80)
        return (r | 0x20) >= 'a' && (r | 0x20) <= 'z';
    return in_ranges(uni_letters, sizeof uni_letters / sizeof uni_letters[0], r);
}

bool json_rune_is_digit(uint32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    return in_ranges(uni_digits, sizeof uni_digits / sizeof uni_digits[0], r);
}

size_t json_rune_encode(uint32_t u, char dst[4])
{
    if (u < 0x80) {
        dst[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        dst[0] = (char)(0xC0 | (u >> 6));
        dst[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        dst[0] = (char)(0xE0 | (u >> 12));
        dst[1] = (char)(0x80 | ((u >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (u >> 18));
    dst[1] = (char)(0x80 | ((u >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((u >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

size_t json_rune_decode(const void *str, size_t n, uint32_t *r)
{
    const unsigned char *s = str;
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
            int i = nd - 1;
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
            snprintf(t2, sizeof t2, "%c.%se%d", c[0], c + 1, exp);
            if (bits == 32 ? strtof(t2, NULL) == (float)f : strtod(t2, NULL) == f) {
                memcpy(d, c, (size_t)nd + 1);
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

/* Lays out the digits of a non-zero <f> into <s>: d.ddde±X when <exp_form>
 * (the exponent with at least <exp_digits> digits), else ddd.ddd. */
static void layout(double f, const char *digs, int dp, bool exp_form, int exp_digits, char *s)
{
    int nd = (int)strlen(digs), n = 0;
    if (f < 0)
        s[n++] = '-';
    if (exp_form) {
        int exp = dp - 1;
        s[n++] = digs[0];
        if (nd > 1) {
            s[n++] = '.';
            for (int i = 1; i < nd; i++)
                s[n++] = digs[i];
        }
        snprintf(s + n, (size_t)(JSON_FLOAT_MAX - n), "e%c%0*d", exp < 0 ? '-' : '+', exp_digits,
                 abs(exp));
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

void json_float_g(double f, int bits, char *s)
{
    char digs[40];
    int dp;

    if (bits == 32) {
        /* Go's float32(f): past FLT_MAX plus half an ulp it is infinite. */
        if (fabs(f) >= 0x1.ffffffp127)
            f = f > 0 ? INFINITY : -INFINITY;
        else if (!isnan(f))
            f = (float)f;
    }
    if (isnan(f)) {
        snprintf(s, JSON_FLOAT_MAX, "NaN");
        return;
    }
    if (isinf(f)) {
        snprintf(s, JSON_FLOAT_MAX, "%s", f > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (f == 0) {
        snprintf(s, JSON_FLOAT_MAX, "%s", signbit(f) ? "-0" : "0");
        return;
    }
    shortest_digits(f, bits, digs, &dp);
    layout(f, digs, dp, dp - 1 < -4 || dp - 1 >= 6, 2, s);
}

void json_float_text(double f, char *s)
{
    char digs[40];
    int dp;

    if (f == 0) {
        snprintf(s, JSON_FLOAT_MAX, "%s", signbit(f) ? "-0" : "0");
        return;
    }
    shortest_digits(f, 64, digs, &dp);
    layout(f, digs, dp, fabs(f) < 1e-6 || fabs(f) >= 1e21, 1, s);
}

/* ------------------------------------------------------------------------
 * Go's encoding/json writer.
 */

static int add_string(struct buf *out, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, start = 0;

    if (buf_addc(out, '"') < 0)
        return -ENOMEM;
    while (i < n) {
        unsigned char c = s[i];
        const char *esc = NULL;
        char ubuf[7];
        size_t w = 1;
        if (c < 0x80) {
            if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
                i++;
                continue;
            }
            switch (c) {
            case '"':
                esc = "\\\"";
                break;
            case '\\':
                esc = "\\\\";
                break;
            case '\b':
                esc = "\\b";
                break;
            case '\f':
                esc = "\\f";
                break;
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            case '\t':
                esc = "\\t";
                break;
            default:
                /* Other control bytes, and <, >, & (Go's HTML-safe escaping). */
                snprintf(ubuf, sizeof ubuf, "\\u00%c%c", hex[c >> 4], hex[c & 0xF]);
                esc = ubuf;
                break;
            }
        } else {
            uint32_t r;
            w = json_rune_decode(s + i, n - i, &r);
            if (r == 0xFFFD && w == 1)
                esc = "\\ufffd";
            else if (r == 0x2028)
                esc = "\\u2028";
            else if (r == 0x2029)
                esc = "\\u2029";
            if (!esc) {
                i += w;
                continue;
            }
        }
        if (buf_add(out, s + start, i - start) < 0 || buf_adds(out, esc) < 0)
            return -ENOMEM;
        i += w;
        start = i;
    }
    if (buf_add(out, s + start, n - start) < 0 || buf_addc(out, '"') < 0)
        return -ENOMEM;
    return 0;
}

/* Go's floatEncoder for float64. */
static int add_float(struct buf *out, double f)
{
    char s[JSON_FLOAT_MAX];
    if (!isfinite(f))
        return -EINVAL;
    json_float_text(f, s);
    return buf_adds(out, s);
}

static int add_newline(struct buf *out, int indent, int level)
{
    if (buf_addc(out, '\n') < 0)
        return -ENOMEM;
    for (int i = 0; i < indent * level; i++)
        if (buf_addc(out, ' ') < 0)
            return -ENOMEM;
    return 0;
}

static int emit(const json_t *v, int indent, int level, struct buf *out)
{
    char num[32];
    size_t i, n;

    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        int first = 1;
        if (json_object_size(v) == 0)
            return buf_adds(out, "{}");
        if (buf_addc(out, '{') < 0)
            return -ENOMEM;
        /* json_object_foreach wants a non-const object; it does not change it. */
        json_t *obj = (json_t *)v;
        void *it;
        for (it = json_object_iter(obj); it; it = json_object_iter_next(obj, it)) {
            key = json_object_iter_key(it);
            val = json_object_iter_value(it);
            n = json_object_iter_key_len(it);
            if (!first && buf_addc(out, ',') < 0)
                return -ENOMEM;
            first = 0;
            if (indent > 0 && add_newline(out, indent, level + 1) < 0)
                return -ENOMEM;
            if (add_string(out, key, n) < 0)
                return -ENOMEM;
            if (buf_adds(out, indent > 0 ? ": " : ":") < 0)
                return -ENOMEM;
            int rc = emit(val, indent, level + 1, out);
            if (rc < 0)
                return rc;
        }
        if (indent > 0 && add_newline(out, indent, level) < 0)
            return -ENOMEM;
        return buf_addc(out, '}');
    }
    case JSON_ARRAY:
        n = json_array_size(v);
        if (n == 0)
            return buf_adds(out, "[]");
        if (buf_addc(out, '[') < 0)
            return -ENOMEM;
        for (i = 0; i < n; i++) {
            if (i > 0 && buf_addc(out, ',') < 0)
                return -ENOMEM;
            if (indent > 0 && add_newline(out, indent, level + 1) < 0)
                return -ENOMEM;
            int rc = emit(json_array_get(v, i), indent, level + 1, out);
            if (rc < 0)
                return rc;
        }
        if (indent > 0 && add_newline(out, indent, level) < 0)
            return -ENOMEM;
        return buf_addc(out, ']');
    case JSON_STRING:
        return add_string(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf_adds(out, num);
    case JSON_REAL:
        return add_float(out, json_real_value(v));
    case JSON_TRUE:
        return buf_adds(out, "true");
    case JSON_FALSE:
        return buf_adds(out, "false");
    case JSON_NULL:
        return buf_adds(out, "null");
    }
    return -EINVAL;
}

int json_emit_go(const json_t *v, int indent, struct buf *out)
{
    if (!v)
        return buf_adds(out, "null");
    return emit(v, indent < 0 ? 0 : indent, 0, out);
}

struct kv {
    const char *key;
    size_t len;
    json_t *val;
};

static int kv_cmp(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

const char **json_sorted_keys(const json_t *o, size_t *n)
{
    size_t size = json_is_object(o) ? json_object_size(o) : 0;
    const char **keys = calloc(size + 1, sizeof *keys);
    *n = 0;
    if (!keys)
        return NULL;
    const char *k;
    json_t *v;
    if (size)
        json_object_foreach((json_t *)o, k, v) keys[(*n)++] = k;
    qsort(keys, *n, sizeof *keys, strv_cmp);
    return keys;
}

int json_sort_keys(json_t *v)
{
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (json_sort_keys(json_array_get(v, i)) < 0)
                return -ENOMEM;
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    size_t n = json_object_size(v);
    if (n == 0)
        return 0;
    struct kv stack[32];
    struct kv *kv = n <= 32 ? stack : malloc(n * sizeof *kv);
    if (!kv)
        return -ENOMEM;
    size_t i = 0, sorted = 1;
    void *it;
    for (it = json_object_iter(v); it && i < n; it = json_object_iter_next(v, it), i++) {
        kv[i].key = json_object_iter_key(it);
        kv[i].len = json_object_iter_key_len(it);
        kv[i].val = json_object_iter_value(it);
        if (i && sorted && kv_cmp(&kv[i - 1], &kv[i]) > 0)
            sorted = 0;
    }
    int rc = 0;
    for (size_t k = 0; k < n; k++)
        if (json_sort_keys(kv[k].val) < 0)
            rc = -ENOMEM;
    if (!sorted && rc == 0) {
        /* The keys belong to <v>: copy them before clearing it. */
        size_t total = 0;
        for (size_t k = 0; k < n; k++)
            total += kv[k].len + 1;
        char *keys = malloc(total);
        if (!keys) {
            rc = -ENOMEM;
            goto out;
        }
        char *w = keys;
        for (size_t k = 0; k < n; k++) {
            memcpy(w, kv[k].key, kv[k].len);
            w[kv[k].len] = '\0';
            kv[k].key = w;
            w += kv[k].len + 1;
            json_incref(kv[k].val);
        }
        qsort(kv, n, sizeof *kv, kv_cmp);
        json_object_clear(v);
        for (size_t k = 0; k < n; k++)
            if (json_object_setn_new_nocheck(v, kv[k].key, kv[k].len, kv[k].val) < 0)
                rc = -ENOMEM;
        free(keys);
    }
out:
    if (kv != stack)
        free(kv);
    return rc;
}
