"""The small catalog of the analyst's-path tests: four parts, a cross-reference, ten
months of sales, four competitor listings. Shared by several stages' tests."""

CATALOG = """sku,part_number,description,brand,category,family,unit_cost,price,currency,pack_qty,proprietary,gtin,map_price
NL-2001,NL-2001,V-belt 6PK1220,Northline,Belts,v-belt,6.00,12.00,USD,1,false,,
NL-2002,NL-2002,Oil filter spin-on,Northline,Filters,oil-filter,4.00,9.00,USD,1,false,4006381333931,
NL-2003,NL-2003,Alternator 120A,Northline,Electrical,alternator,80.00,150.00,USD,1,true,,
NL-2004,NL-2004,Radiator hose upper,Northline,Hoses,hose,5.00,8.00,USD,1,false,,7.50
"""
XREF = """competitor_brand,competitor_part_number,sku,relation
Beltco,B 6PK1220,NL-2001,equivalent
"""
SALES = "sku,date,units,unit_price\n" + "".join(
    f"NL-200{n},2026-{m:02d}-05,{10 + n},{p}\n"
    for n, p in [(1, "12.00"), (2, "9.00"), (3, "150.00"), (4, "8.00")]
    for m in range(1, 11)
)
OBS = """competitor,url,title,price,currency,brand,part_number,gtin,pack_qty
shopa,https://a.example/p/1,Beltco V-belt,10.00,USD,Beltco,B-6PK1220,,1
shopa,https://a.example/p/2,Oil filter,34.00,USD,Filtrex,FX-1,4006381333931,4
shopb,https://b.example/p/9,Beltco V-belt,10.40,USD,Beltco,B 6PK1221,,1
shopb,https://b.example/p/7,Radiator hose,6.00,USD,Northline,NL-2004,,1
"""
