-- vmbus-dissect Wireshark runtime: walks the message descriptions generated above (tables S, VS,
-- FIELDS, TABLES, DEVICES). Hand-written once; protocols are data. Mirrors dissectors/describe/compile.ts.

local band, rshift = bit32.band, bit32.rshift
local SIZES = { u8 = 1, u16 = 2, u24 = 3, u32 = 4, u64 = 8, i8 = 1, i16 = 2, i32 = 4, i64 = 8,
  u16be = 2, u24be = 3, u32be = 4, u64be = 8, bool8 = 1, filetime = 8 }
local BIG_ENDIAN = { u16be = true, u24be = true, u32be = true, u64be = true }

local state = { global = {}, channels = {} }
local ctx -- per record: tvb, pinfo, relid, class, chunks, info, layers, failed

local function to_number(v)
  if type(v) == "number" then return v end
  if type(v) == "boolean" then return v and 1 or 0 end
  if type(v) == "userdata" and v.tonumber then return v:tonumber() end
  return 0 / 0
end

local function lookup(scope, name)
  while scope do
    local v = scope.values[name]
    if v ~= nil then return v end
    scope = scope.parent
  end
  return nil
end

local function state_get(name)
  if name:sub(1, 8) == "channel." then
    local ch = state.channels[ctx.relid]
    return ch and ch[name]
  end
  return state.global[name]
end

local function state_set(name, value)
  if ctx.dry then return end
  if value == nil then
    if name:sub(1, 8) == "channel." then
      if state.channels[ctx.relid] then state.channels[ctx.relid][name] = nil end
    else
      state.global[name] = nil
    end
    return
  end
  local n = to_number(value)
  if n ~= n then return end
  if name:sub(1, 8) == "channel." then
    state.channels[ctx.relid] = state.channels[ctx.relid] or {}
    state.channels[ctx.relid][name] = n
  else
    state.global[name] = n
  end
end

local function truth(x) return x ~= 0 and x == x end

local function bitand(a, b)
  if a ~= a or b ~= b then return 0 / 0 end
  if a >= 0 and b >= 0 and a <= 0xffffffff and b <= 0xffffffff then return band(a, b) end
  local lo = band(a % 4294967296, b % 4294967296)
  local hi = band(math.floor(a / 4294967296) % 4294967296, math.floor(b / 4294967296) % 4294967296)
  return hi * 4294967296 + lo
end

local BINARY = {
  ["+"] = function(a, b) return a + b end,
  ["-"] = function(a, b) return a - b end,
  ["*"] = function(a, b) return a * b end,
  ["/"] = function(a, b) if b == 0 then return 0 / 0 end return math.floor(a / b) end,
  ceildiv = function(a, b) if b == 0 then return 0 / 0 end return math.ceil(a / b) end,
  ["&"] = bitand,
  ["|"] = function(a, b) return a + b - bitand(a, b) end,
  [">>"] = function(a, b) return math.floor(a / 2 ^ b) end,
  min = math.min, max = math.max,
  ["=="] = function(a, b) return a == b and 1 or 0 end,
  ["!="] = function(a, b) return a ~= b and 1 or 0 end,
  ["<"] = function(a, b) return a < b and 1 or 0 end,
  ["<="] = function(a, b) return a <= b and 1 or 0 end,
  [">"] = function(a, b) return a > b and 1 or 0 end,
  [">="] = function(a, b) return a >= b and 1 or 0 end,
  ["&&"] = function(a, b) return (truth(a) and truth(b)) and 1 or 0 end,
  ["||"] = function(a, b) return (truth(a) or truth(b)) and 1 or 0 end,
}

local function eval(e, scope)
  if type(e) == "number" then return e end
  local op = e.op
  if op == "ref" then return to_number(lookup(scope, e.name)) end
  if op == "state" then return state_get(e.name) or 0 / 0 end
  if op == "remaining" then return scope.stop - scope.pos end
  if op == "offset" then return scope.pos - scope.start end
  if op == "!" then return truth(eval(e.a, scope)) and 0 or 1 end
  if op == "peek" then return PEEK(e, scope) end
  if op == "if" then if truth(eval(e.c, scope)) then return eval(e.a, scope) end return eval(e.b, scope) end
  if op == "lookup" then return e.table[eval(e.a, scope)] or 0 / 0 end
  if op == "known" then return e.vs[eval(e.a, scope)] ~= nil and 1 or 0 end
  return BINARY[op](eval(e.a, scope), eval(e.b, scope))
end

-- peek: a value read ahead without consuming it (read_scalar is defined below).
function PEEK(e, scope)
  local size = SIZES[e.t]
  local pos = e.at and scope.start + eval(e.at, scope) or scope.pos
  if not (pos >= scope.start) or pos + size > scope.stop or pos + size > ctx.tvb:len() then return 0 / 0 end
  return to_number(READ_SCALAR(ctx.tvb(pos, size), e.t))
end

-- Expert info ---------------------------------------------------------------------------------

-- A tree that swallows everything: counting an array's elements before its item is added
-- (an item's value cannot change later) runs the same code with no output and no side effects.
local NULL_ITEM = {}
setmetatable(NULL_ITEM, { __index = function() return function() return NULL_ITEM end end })

local function expert_add(tree, kind, text)
  if ctx.dry then return end
  tree:add_proto_expert_info(EXPERTS[kind], text)
end

-- An integer beyond 2^53 as JavaScript writes it: the fewest digits that read back as the same double, then zeros.
local function js_big_integer(v)
  for precision = 0, 16 do
    local text = string.format("%." .. precision .. "e", v)
    if tonumber(text) == v then
      local sign, first, rest, exponent = text:match("^(-?)(%d)%.?(%d*)e([-+]%d+)$")
      local digits = first .. rest
      return sign .. digits .. string.rep("0", tonumber(exponent) + 1 - #digits)
    end
  end
  return string.format("%.0f", v)
end

-- A number as JavaScript writes it (the decoder's texts are made there).
local function js_number(v)
  if v ~= v then return "NaN" end
  if v == math.huge then return "Infinity" end
  if v == -math.huge then return "-Infinity" end
  if v == math.floor(v) and math.abs(v) < 1e21 then
    if math.abs(v) <= 2 ^ 53 then return string.format("%.0f", v) end
    return js_big_integer(v)
  end
  return tostring(v)
end

-- An empty range at a position (generated items, empty nodes); a position a damaged offset put past the data is its end.
local function empty_at(pos)
  return ctx.tvb(math.min(pos, ctx.tvb:len()), 0)
end

-- An item's length up to a position, within the data (a damaged offset may have moved the position past it).
local function set_length(item, start, stop)
  item:set_len(math.max(0, math.min(stop, ctx.tvb:len()) - math.min(start, ctx.tvb:len())))
end

local function out_of_bytes(tree, scope, what, needed)
  expert_add(tree, "malformed", string.format("%s needs %d bytes at offset %d, only %d remain", what, needed, scope.pos, math.max(0, scope.stop - scope.pos)))
  ctx.failed = true
end

-- Values and their text (for info templates) --------------------------------------------------

local function hex_of(n)
  if type(n) == "userdata" then return "0x" .. n:tohex():gsub("^0+(%x)", "%1") end
  return string.format("0x%x", n)
end

local function guid_text(range)
  local b = {}
  for i = 0, 15 do b[i] = range(i, 1):uint() end
  local function h(i) return string.format("%02x", b[i]) end
  return h(3) .. h(2) .. h(1) .. h(0) .. "-" .. h(5) .. h(4) .. "-" .. h(7) .. h(6) .. "-" .. h(8) .. h(9) .. "-" ..
    h(10) .. h(11) .. h(12) .. h(13) .. h(14) .. h(15)
end

-- FILETIME (100 ns since 1601) as ISO 8601 UTC with seven fractional digits, as display.ts writes it.
local function filetime_text(v)
  local ticks = type(v) == "userdata" and v or UInt64(v % 4294967296, math.floor(v / 4294967296))
  if ticks == UInt64(0, 0) then return "0 (not set)" end
  local epoch = UInt64(0xd53e8000, 0x019db1de)
  if ticks < epoch then return tostring(ticks) .. " (out of range)" end
  local since = ticks - epoch
  return os.date("!%Y-%m-%dT%H:%M:%S", (since / 10000000):tonumber()) .. string.format(".%07dZ", (since % 10000000):tonumber())
end

local function short_text(entry)
  local info, v = FIELDS[entry.f], entry.v
  if info and info.kind == "filetime" then return filetime_text(v) end
  if info and info.kind == "bool" then return to_number(v) ~= 0 and "True" or "False" end
  if info and info.vs and type(v) ~= "userdata" then
    -- As display.ts: an enum value without a name is its plain number.
    return VS[info.vs][to_number(v)] or js_number(to_number(v))
  end
  if info and info.kind == "guid" then return DEVICE_NAMES[v] or v end
  if info and info.kind == "string" then return '"' .. tostring(v) .. '"' end
  if info and info.base == "hex" and type(v) == "number" and info.width == 1 then return string.format("0x%02x", v) end
  -- As display.ts: a 64-bit value beyond 2^53 keeps its width's digits.
  if info and info.base == "hex" and type(v) == "userdata" then return "0x" .. v:tohex(info.width * 2):lower() end
  if info and info.base == "hex" and type(v) == "number" then return hex_of(v) end
  if info and info.unit == "bytes" and type(v) == "number" and v >= 1024 then
    local units, value, unit = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" }, v, 0
    while value >= 1024 and unit < #units do value, unit = value / 1024, unit + 1 end
    return string.format("%.0f bytes (%.2f %s)", v, value, units[unit])
  end
  if info and info.unit and type(v) == "number" then return string.format("%.0f", v) .. " " .. info.unit end
  if type(v) == "number" then return js_number(v) end
  return tostring(v)
end

local function find_entry(scope, key)
  for _, entry in ipairs(scope.order) do
    -- As in TypeScript: the field whose filter name ends in ".key" (a dotted key tells similar fields apart).
    if entry.key == key or (entry.f and entry.f:sub(-#key - 1) == "." .. key) then return entry end
  end
  for _, child in ipairs(scope.children) do
    local found = find_entry(child, key)
    if found then return found end
  end
  return nil
end

local function format_info(template, scope)
  return (template:gsub("{([%w_.]+):?(%a*)}", function(key, mode)
    local entry = find_entry(scope, key)
    if mode == "ifset" then
      if not entry or to_number(entry.v) == 0 then return "" end
      return short_text(entry)
    end
    if not entry then return "?" end
    if mode == "raw" then return type(entry.v) == "number" and js_number(entry.v) or tostring(entry.v) end
    if mode == "len" then return tostring(entry.len or "?") end
    if mode == "bits" then
      local info = FIELDS[entry.f]
      local set = {}
      for _, bit in ipairs(info.bits or {}) do
        if truth(bitand(to_number(entry.v), FIELDS[bit].mask)) then set[#set + 1] = FIELDS[bit].label end
      end
      return #set > 0 and ("[" .. table.concat(set, ", ") .. "]") or ""
    end
    return short_text(entry)
  end))
end

-- Text expressions (dissectors/describe/text.ts): nil when the text has no value.
local function digits(v, radix, width)
  if v ~= v or v == math.huge or v == -math.huge then return nil end
  v = v < 0 and math.ceil(v) or math.floor(v)
  local pad = (width and width > 0) and ("0" .. width) or ""
  if radix == 16 then return string.format("%" .. pad .. "x", v) end
  local text = js_number(v)
  return string.rep("0", (width or 0) - #text) .. text
end

local function text_eval(t, scope)
  if type(t) == "string" then
    if t:find("{", 1, true) then return format_info(t, scope) end
    return t
  end
  if t.text == "number" then return digits(eval(t.value, scope), t.radix, t.width) end
  if t.text == "name" then return t.vs[eval(t.key, scope)] end
  if t.text == "join" then
    local parts = {}
    for i, part in ipairs(t.parts) do
      parts[i] = text_eval(part, scope)
      if parts[i] == nil then return nil end
    end
    return table.concat(parts)
  end
  if truth(eval(t.c, scope)) then return text_eval(t.a, scope) end
  return text_eval(t.b, scope)
end

-- A check's words: its arguments ({name}) first, then the fields as in info templates.
local function message(template, args, scope)
  local filled = template:gsub("{([%w_]+)}", function(name)
    if args and args[name] then return text_eval(args[name], scope) or "?" end
  end)
  return format_info(filled, scope)
end

-- Readers ---------------------------------------------------------------------------------------

local function read_scalar(range, t)
  if t == "u8" or t == "bool8" then return range:uint() end
  if t == "i8" then return range:int() end
  if BIG_ENDIAN[t] then
    if t == "u64be" then return range:uint64() end
    return range:uint()
  end
  if t == "u64" or t == "filetime" then
    local v = range:le_uint64()
    if v <= UInt64(0xffffffff, 0x1fffff) then return v:tonumber() end
    return v
  end
  if t == "i64" then return range:le_int64():tonumber() end
  if t == "i16" or t == "i32" then return range:le_int() end
  return range:le_uint()
end

READ_SCALAR = read_scalar

local FILETIME_UNIX = UInt64(0xd53e8000, 0x019db1de)

local function add_scalar(tree, field, range, value)
  local pf = PF[field.f]
  if field.t == "filetime" then
    local ticks = range:le_uint64()
    if ticks > FILETIME_UNIX then
      local since = ticks - FILETIME_UNIX
      return tree:add(pf, range, NSTime((since / 10000000):tonumber(), (since % 10000000):tonumber() * 100))
    end
    return tree:add(pf, range, NSTime(0, 0))
  end
  if field.t == "bool8" then return tree:add(pf, range, value ~= 0) end
  if BIG_ENDIAN[field.t] or field.t == "u8" or field.t == "i8" then return tree:add(pf, range) end
  return tree:add_le(pf, range)
end

local decode_struct -- forward

local function scope_new(parent, start, stop)
  return { values = {}, parent = parent, start = start, stop = stop, pos = start, order = {}, children = {} }
end

local function remember(scope, key, f, v, length)
  scope.values[key] = v
  scope.order[#scope.order + 1] = { key = key, f = f, v = v, len = length }
end

local function masked(field, raw)
  if not field.mask and not field.scale then return raw end
  local value = to_number(raw)
  if field.mask then value = math.floor(bitand(value, field.mask) / 2 ^ field.shift) end
  return value * (field.scale or 1)
end

local function read_scalar_field(field, tree, scope)
  local size = SIZES[field.t]
  if scope.pos + size > scope.stop then return out_of_bytes(tree, scope, field.label, size) end
  local range = ctx.tvb(scope.pos, size)
  local value = masked(field, read_scalar(range, field.t))
  local item
  if field.scale then
    -- Scaled fields are 64-bit (their value may outgrow the wire width); Wireshark wants a UInt64.
    item = tree:add(PF[field.f], range, UInt64(value % 4294967296, math.floor(value / 4294967296)))
  else
    item = add_scalar(tree, field, range, value)
  end
  if field.bits then
    for _, bit in ipairs(field.bits) do
      if BIG_ENDIAN[field.t] or size == 1 then item:add(PF[bit], range) else item:add_le(PF[bit], range) end
    end
  end
  if field.expect and to_number(value) ~= field.expect then
    expert_add(item, "note", string.format("%s is %s, expected %d", field.label, tostring(value), field.expect))
  end
  remember(scope, field.key, field.f, value)
  if not field.shared then scope.pos = scope.pos + size end
end

local function region_length(len, scope)
  if len == nil or len == "rest" then return scope.stop - scope.pos end
  return eval(len, scope)
end

-- Bytes as characters of the same code (as display.ts reads ASCII fields), written in UTF-8.
local function latin1(raw)
  return (raw:gsub("[\128-\255]", function(c)
    local b = c:byte()
    return string.char(0xc0 + math.floor(b / 64), 0x80 + b % 64)
  end))
end

local function read_blob_field(field, tree, scope)
  local wanted = region_length(field.len, scope)
  if not (wanted >= 0) then return expert_add(tree, "malformed", field.label .. ": length " .. js_number(wanted) .. " is not valid") end
  if scope.pos > scope.stop then return out_of_bytes(tree, scope, field.label, wanted) end
  local available = math.min(wanted, scope.stop - scope.pos)
  local range = ctx.tvb(scope.pos, available)
  local pf, value = PF[field.f], nil
  if field.t == "guid" and available == 16 then
    value = guid_text(range)
    tree:add_le(pf, range)
  elseif field.t == "utf16" then
    value = available > 0 and range:le_ustring() or ""
    if field.nul then value = value:match("^[^%z]*") end
    tree:add(pf, range, value)
  elseif field.t == "ascii" then
    value = available > 0 and latin1(range:raw()) or ""
    if field.nul then value = value:match("^[^%z]*") end
    tree:add(pf, range, value)
  elseif (field.t == "ipv4" and available == 4) or (field.t == "ipv6" and available == 16) or (field.t == "mac" and available == 6) then
    tree:add(pf, range)
    -- Text without name resolution, as our own output shows it.
    local b = {}
    for i = 0, available - 1 do b[#b + 1] = range(i, 1):uint() end
    if field.t == "ipv4" then value = table.concat(b, ".")
    elseif field.t == "mac" then
      for i, byte in ipairs(b) do b[i] = string.format("%02x", byte) end
      value = table.concat(b, ":")
    else value = tostring(range:ipv6()) end
  else
    value = available > 0 and range:bytes() or ByteArray.new()
    if available > 0 then tree:add(pf, range) else tree:add(pf, empty_at(scope.pos)) end
  end
  remember(scope, field.key, field.f, value, available)
  if available < wanted then return out_of_bytes(tree, scope, field.label, wanted) end
  scope.pos = scope.pos + available
end

local function read_struct_field(field, tree, scope)
  local stop = scope.stop
  if field.len ~= nil then
    local length = region_length(field.len, scope)
    if not (length >= 0 and length < math.huge) then return expert_add(tree, "malformed", field.label .. ": length " .. js_number(length) .. " is not valid") end
    stop = math.min(scope.stop, scope.pos + length)
  end
  local used, child = decode_struct(S[field.s], tree, scope.pos, stop, scope, field.f)
  scope.children[#scope.children + 1] = child
  scope.pos = field.len ~= nil and stop or scope.pos + used
end

local function decode_elements(field, item, scope, wanted)
  local index = 0
  while index < wanted and not ctx.failed do
    if scope.pos >= scope.stop then
      if field.count and not field.clip then out_of_bytes(item, scope, string.format("%s element %d of %s", field.label, index, js_number(wanted)), S[field.s].size or 1) end
      if field.count and field.clip and field.note then item:append_text(" " .. field.note) end
      break
    end
    if index >= 65536 then
      expert_add(item, "malformed", field.label .. ": more than 65536 elements")
      break
    end
    local before = scope.pos
    if index == 8 and S[field.s].info and not ctx.dry then
      ctx.info[#ctx.info + 1] = "…"
      ctx.quiet = (ctx.quiet or 0) + 1
    end
    local used, child = decode_struct(S[field.s], item, scope.pos, scope.stop, scope, field.ef)
    scope.children[#scope.children + 1] = child
    scope.pos = scope.pos + used
    index = index + 1
    if scope.pos <= before then break end
  end
  if index > 8 and S[field.s].info and not ctx.dry then ctx.quiet = ctx.quiet - 1 end
  return index
end

local function count_elements(field, scope, wanted)
  local saved_pos, saved_failed, saved_dry, saved_children = scope.pos, ctx.failed, ctx.dry, scope.children
  ctx.dry, scope.children = true, {}
  local count = decode_elements(field, NULL_ITEM, scope, wanted)
  scope.pos, ctx.failed, ctx.dry, scope.children = saved_pos, saved_failed, saved_dry, saved_children
  return count
end

local function read_array_field(field, tree, scope)
  local wanted = field.count and eval(field.count, scope) or math.huge
  if not (wanted >= 0) then return expert_add(tree, "malformed", field.label .. ": count " .. js_number(wanted) .. " is not valid") end
  local start = scope.pos
  local item = tree:add(PF[field.f], empty_at(scope.pos), count_elements(field, scope, wanted))
  local index = decode_elements(field, item, scope, wanted)
  set_length(item, start, scope.pos)
  remember(scope, field.key, field.f, index)
end

local function read_switch_field(field, tree, scope)
  local key = eval(field.on, scope)
  local chosen = field.cases[key] or field.default
  if not chosen then return end
  local used, child = decode_struct(S[chosen.s], tree, scope.pos, scope.stop, scope, chosen.f)
  scope.children[#scope.children + 1] = child
  scope.pos = scope.pos + used
end

-- Hand-offs: the next protocol is a layer of its own, as in any Wireshark dissector -------------

local function call_protocol(protocol, tvb, start, stop, scope)
  if protocol.ws then
    -- Wireshark's own dissector (e.g. Ethernet and all above it) writes the Info column; keep its text.
    ctx.pinfo.cols.info = ""
    pcall(function() Dissector.get(protocol.ws):call(tvb(start, stop - start):tvb(), ctx.pinfo, ctx.root) end)
    ctx.info[#ctx.info + 1] = "→"
    ctx.info[#ctx.info + 1] = tostring(ctx.pinfo.cols.info)
    ctx.last_protocol = tostring(ctx.pinfo.cols.protocol)
    return
  end
  local saved = ctx.tvb
  ctx.tvb = tvb
  local layer = ctx.root:add(PROTOS[protocol.name], tvb(start, stop - start))
  ctx.info[#ctx.info + 1] = "→"
  ctx.last_protocol = protocol.short or protocol.label
  decode_struct(S[protocol.root], layer, start, stop, scope, nil)
  ctx.tvb = saved
end

-- Bytes no protocol takes: Wireshark's data layer, and the reason on the item that handed them over.
local function data_layer(tree, tvb, start, stop, reason)
  Dissector.get("data"):call(tvb(start, stop - start):tvb(), ctx.pinfo, ctx.root)
  expert_add(tree, "undecoded", reason)
  ctx.info[#ctx.info + 1] = "→"
  ctx.info[#ctx.info + 1] = string.format("%d bytes of payload", stop - start)
end

local function resolve(table_name, key)
  if table_name == "vmbus.device" then
    local device = DEVICES_BY_GUID[ctx.class or ""]
    local channel = state.channels_offered[ctx.relid]
    if channel and channel.hvsock then device = DEVICES_BY_GUID["hvsock"] end
    if device and device.protocol then return device.protocol end
    if device and device.unpublished then return nil, device.short .. ": no public specification of this device's protocol; payload shown as bytes" end
    if device then return nil, device.short .. ": device protocol not decoded yet; payload shown as bytes" end
    if ctx.class then return nil, "unknown device class " .. ctx.class .. "; payload shown as bytes" end
    return nil, "device of this channel unknown (no offer seen, no --device given); payload shown as bytes"
  end
  local entries = TABLES[table_name]
  local protocol = entries and entries[key]
  if protocol then return protocol end
  return nil, "no dissector in " .. table_name .. " for " .. (key and string.format("0x%x", key) or "this payload")
end

local function read_handoff_field(field, tree, scope)
  if ctx.dry then
    if not field.attached then scope.pos = math.max(scope.pos, math.min(scope.stop, scope.pos + region_length(field.len, scope))) end
    return
  end
  local key = field.by and eval(field.by, scope) or nil
  if field.attached then
    local found = false
    for _, chunk in ipairs(ctx.chunks) do
      for _, source in ipairs(field.attached) do
        if chunk.source == source then
          found = true
          local protocol, why = resolve(field.table, key)
          local tvb = chunk.range:tvb()
          if protocol then call_protocol(protocol, tvb, 0, tvb:len(), scope) else data_layer(tree, tvb, 0, tvb:len(), why) end
        end
      end
    end
    if not found and field.missing then
      local text = format_info(field.missing, scope)
      ctx.info[#ctx.info + 1] = text
      expert_add(tree, "undecoded", text)
    end
    return
  end
  local stop = math.min(scope.stop, scope.pos + region_length(field.len, scope))
  if stop > scope.pos then
    local protocol, why = resolve(field.table, key)
    if protocol then call_protocol(protocol, ctx.tvb, scope.pos, stop, scope) else data_layer(tree, ctx.tvb, scope.pos, stop, why) end
  end
  scope.pos = math.max(scope.pos, stop)
end

local function read_computed_text(field, tree, scope)
  local value = text_eval(field.text, scope)
  if value == nil then return end
  tree:add(PF[field.f], empty_at(scope.pos), value):set_generated()
  remember(scope, field.key, field.f, value)
end

local function read_computed_field(field, tree, scope)
  if field.text then return read_computed_text(field, tree, scope) end
  local value = eval(field.value, scope)
  if value ~= value or value == math.huge or value == -math.huge then return end
  local shown = value
  if field.t == "filetime" then
    -- 100 ns ticks since 1601 as Wireshark's time (a double: to about 2 µs, as the TypeScript value)
    local since = (value - 116444736000000000) / 10000000
    shown = NSTime(math.floor(since), math.floor((since % 1) * 1e9))
  elseif SIZES[field.t] == 8 then
    shown = UInt64(value % 4294967296, math.floor(value / 4294967296))
  end
  tree:add(PF[field.f], empty_at(scope.pos), shown):set_generated()
  remember(scope, field.key, field.f, value)
end

-- A bit field at a position that is data (describe/read.ts readBits): least significant bit first.
local function read_bits_field(field, tree, scope)
  local offset, width = eval(field.offset, scope), eval(field.width, scope)
  if not (offset >= 0 and width >= 1 and width <= 32) then
    expert_add(tree, "malformed", string.format("%s: %s bits at bit %s is not a valid bit field", field.label, js_number(width), js_number(offset)))
    return
  end
  local at = math.floor(offset / 8)
  local length = math.ceil((offset - at * 8 + width) / 8)
  if scope.start + at + length > scope.stop then
    scope.pos = scope.start + at
    return out_of_bytes(tree, scope, field.label, length)
  end
  local range = ctx.tvb(scope.start + at, length)
  local word = 0
  for i = length - 1, 0, -1 do word = word * 256 + range(i, 1):uint() end
  local value = math.floor(word / 2 ^ (offset - at * 8)) % 2 ^ width
  if field.signed and truth(eval(field.signed, scope)) and value >= 2 ^ (width - 1) then value = value - 2 ^ width end
  local item = tree:add(PF[field.f], range, value)
  for _, bit in ipairs(field.bits or {}) do item:add(PF[bit], range, value) end
  remember(scope, field.key, field.f, value)
  scope.pos = math.max(scope.pos, scope.start + at + length)
end

local READERS = { bits = read_bits_field, computed = read_computed_field, scalar = read_scalar_field, blob = read_blob_field, struct = read_struct_field,
  array = read_array_field, switch = read_switch_field, handoff = read_handoff_field }

local function read_field(field, tree, scope)
  if field.when and not truth(eval(field.when, scope)) then return end
  if field.at then
    local target = scope.start + eval(field.at, scope)
    if target ~= target or target == math.huge or target < scope.start then
      return expert_add(tree, "malformed", field.label .. ": position " .. js_number(target - scope.start) .. " is not valid")
    end
    scope.pos = target
  end
  READERS[field.k](field, tree, scope)
end

local function stated_end(desc, size, scope, tree)
  if not (size >= scope.pos - scope.start) then
    expert_add(tree, "malformed", string.format("%s: stated size %s is smaller than its %d bytes of fields", desc.name, js_number(size), scope.pos - scope.start))
    return scope.pos
  end
  if scope.start + size > scope.stop then
    expert_add(tree, "malformed", string.format("%s: stated size %d runs past the %d bytes available", desc.name, size, scope.stop - scope.start))
    return scope.stop
  end
  return scope.start + size
end

local function apply_after(desc, scope, tree)
  for _, check in ipairs(desc.checks or {}) do
    if truth(eval(check.fails, scope)) then expert_add(tree, check.kind, message(check.text, check.args, scope)) end
  end
  for _, effect in ipairs(desc.effects or {}) do
    if not effect.when or truth(eval(effect.when, scope)) then state_set(effect.set, eval(effect.value, scope)) end
  end
  if ctx.dry then return end
  for _, name in ipairs(desc.hooks or {}) do
    if HOOKS[name] then HOOKS[name](scope, tree) end
  end
end

-- Request/response pairing (dissectors/describe/pairing.ts) ----------------------------------

local MAX_PAIRS = 65536
-- What the first pass learns of answers survives the redissection that shows it on requests: it is
-- kept outside the session state and started afresh at the first record of a first pass.
local responses = {}
-- The frame's time as Wireshark keeps it (NSTime, exact), not pinfo.abs_ts (a float).
local frame_time_field = Field.new("frame.time")
-- Absent when Wireshark builds no tree (tshark's first pass): pairing still learns, without times.
local function frame_time()
  local found = frame_time_field()
  return found and found() or nil
end

local function pair_key(ns, direction, id)
  return ns .. ":" .. ctx.relid .. ":" .. direction .. ":" .. string.format("%.0f", id)
end

local function split_layers(text, layers, scope)
  local parts, from = {}, 1
  while true do
    local at = text:find("{layers}", from, true)
    if not at then break end
    parts[#parts + 1] = format_info(text:sub(from, at - 1), scope)
    from = at + 8
  end
  parts[#parts + 1] = format_info(text:sub(from), scope)
  return (table.concat(parts, layers):gsub("^%s+", ""):gsub("%s+$", ""))
end

-- Second pass (Wireshark redissects with pinfo.visited; tshark -2): where the answer is, or that none came.
local function show_response(p, node)
  if not ctx.pinfo.visited then return end
  local response = responses[p.ns .. ":" .. ctx.pinfo.number]
  if response then node:add(PF[p.ns .. ".response_in"], ctx.tvb(0, 0), response):set_generated()
  else expert_add(node, "sequence_note", p.ns .. ": no answer seen for this request") end
end

local function remember_request(p, scope, node, id, layers)
  local key = pair_key(p.ns, ctx.direction, id)
  local earlier = state.pairs[key]
  if earlier and not earlier.answered_in and earlier.number < ctx.pinfo.number then
    expert_add(node, "sequence_warn", string.format("%s: request id %s repeated while the request in record %d is unanswered", p.ns, js_number(id), earlier.number))
  end
  local kept = {}
  for name, e in pairs(p.keep or {}) do kept[name] = eval(e, scope) end
  if state.pair_count >= MAX_PAIRS then state.pairs, state.pair_count = {}, 0 end
  state.pair_count = state.pair_count + 1
  state.pairs[key] = { number = ctx.pinfo.number, time = frame_time(), kept = kept,
    text = p.text and split_layers(p.text, layers, scope) or nil }
  show_response(p, node)
end

local function answer_request(p, scope, node, id)
  local other = ctx.direction == 0 and 1 or ctx.direction == 1 and 0 or ctx.direction
  local request = state.pairs[pair_key(p.ns, other, id)]
  if request and request.number >= ctx.pinfo.number then request = nil end
  local names = {}
  for name in pairs(request and request.kept or {}) do names[name] = true end
  for name in pairs(p.show or {}) do names[name] = true end
  for _, name in ipairs(p.state or {}) do names[name] = true end
  for name in pairs(names) do state_set("channel." .. p.ns .. ".request." .. name, request and request.kept[name] or nil) end
  if not request then
    expert_add(node, "sequence_note", string.format("%s: no request seen for this answer (id %s)", p.ns, js_number(id)))
    return
  end
  if request.answered_in and request.answered_in ~= ctx.pinfo.number then
    expert_add(node, "sequence_warn", string.format("%s: another answer to the request in record %d (first answered in record %d)", p.ns, request.number, request.answered_in))
  end
  request.answered_in = request.answered_in or ctx.pinfo.number
  local answered = p.ns .. ":" .. request.number
  if not ctx.pinfo.visited and not responses[answered] then responses[answered] = ctx.pinfo.number end
  local here = ctx.tvb(0, 0)
  node:add(PF[p.ns .. ".request_in"], here, request.number):set_generated()
  local now = frame_time()
  if now and request.time then node:add(PF[p.ns .. ".time"], here, now - request.time):set_generated() end
  if request.text then
    node:add(PF[p.ns .. ".answers"], here, request.text):set_generated()
    remember(scope, "answers", p.ns .. ".answers", request.text)
  end
  if p.say then
    local words = p.say:gsub("{answers}", function() return request.text or "" end)
    ctx.info[#ctx.info + 1] = words
  end
  for name, filter in pairs(p.show or {}) do
    local value = request.kept[name]
    if value == value then
      node:add(PF[filter], here, value):set_generated()
      remember(scope, name, filter, value)
    end
  end
end

local function apply_pairing(p, scope, node, layers)
  if p.when and not truth(eval(p.when, scope)) then return end
  local id = eval(p.id, scope)
  if id ~= id then return end
  if p.role == "request" then remember_request(p, scope, node, id, layers) else answer_request(p, scope, node, id) end
end

local function inner_info(from)
  local parts = {}
  for i = from, #ctx.info do
    local part = ctx.info[i]
    if part ~= "" and part ~= "→" then parts[#parts + 1] = part end
  end
  return table.concat(parts, " ")
end

function decode_struct(desc, tree, start, stop, parent, node_filter)
  local scope = scope_new(parent, start, stop)
  local info_start = #ctx.info + 1
  local node = node_filter and tree:add(PF[node_filter], empty_at(start)) or tree
  local info_slot
  if desc.info and not ctx.dry and not (ctx.quiet and ctx.quiet > 0) then
    info_slot = #ctx.info + 1
    ctx.info[info_slot] = ""
  end
  if desc.minSize and stop - start < desc.minSize then
    expert_add(node, "malformed", string.format("%s is %d bytes, shorter than its %d-byte layout", desc.name, stop - start, desc.minSize))
  end
  for _, field in ipairs(desc.fields) do
    if ctx.failed then break end
    read_field(field, node, scope)
  end
  if desc.size and not ctx.failed then scope.pos = math.max(scope.pos, math.min(stop, start + desc.size)) end
  if desc.sizeFrom and not ctx.failed then scope.pos = stated_end(desc, eval(desc.sizeFrom, scope), scope, node) end
  if node_filter then set_length(node, start, scope.pos) end
  if not ctx.failed and not ctx.dry then
    for _, pairing in ipairs(desc.pairing or {}) do apply_pairing(pairing, scope, node, inner_info(info_start + (desc.info and 1 or 0))) end
  end
  if not ctx.failed then apply_after(desc, scope, node) end
  if info_slot then ctx.info[info_slot] = (format_info(desc.info, scope):gsub("^%s+", ""):gsub("%s+$", "")) end
  return scope.pos - start, scope
end

-- Hand-written hooks (dissectors/vmbus/hooks.ts) ---------------------------------------------

-- The channel table from offers; a channel told apart by its instance GUID learns which it is.
HOOKS["vmbus.offer"] = function(scope)
  local relid = to_number(scope.values.child_relid)
  local flags = to_number(scope.values.flags)
  state.channels_offered[relid] = { class = scope.values.if_type, hvsock = truth(bitand(flags, 0x2000)) }
  state.channels[relid] = nil
  local instance = CHANNEL_INSTANCES[scope.values.if_instance or ""]
  if instance and instance.class == scope.values.if_type then state.channels[relid] = { [instance.state] = 1 } end
end

-- The record ------------------------------------------------------------------------------------

local function parse_chunks(tvb)
  local chunks = {}
  if tvb:len() < 28 then return chunks end
  local header_length = tvb(2, 2):le_uint()
  if band(tvb(5, 1):uint(), 4) == 0 or tvb(4, 1):uint() ~= 2 or tvb:len() < header_length + 16 then return chunks end
  local pos = header_length + tvb(header_length + 4, 2):le_uint() * 8
  while pos + 12 <= tvb:len() do
    local length = tvb(pos + 8, 4):le_uint()
    local available = math.min(length, tvb:len() - pos - 12)
    chunks[#chunks + 1] = { source = tvb(pos, 1):uint(), range = tvb(pos + 12, available) }
    pos = pos + 12 + length + (4 - length % 4) % 4
  end
  return chunks
end

local vmbus = PROTOS["vmbus"]

-- The record's payload: after the pseudo-header, up to the attached chunks of a ring packet.
local function payload_length(tvb)
  local header, flags = tvb(2, 2):le_uint(), tvb(5, 1):uint()
  local body = tvb:len() - header
  if band(flags, 4) ~= 0 and tvb(4, 1):uint() == 2 and body >= 8 and tvb(header + 4, 2):le_uint() * 8 <= body then
    return tvb(header + 4, 2):le_uint() * 8
  end
  return body
end

-- What the pseudo-header's flags say of the capture (as dissectors/dissect.ts adds them).
local function record_experts(tvb, layer)
  local flags = tvb(5, 1):uint()
  if band(flags, 1) ~= 0 then
    local missing = tvb:reported_len() - tvb:len()
    local payload = payload_length(tvb)
    expert_add(layer, "capture_warn", "payload truncated: " .. payload .. (missing > 0 and (" of " .. (payload + missing)) or "") .. " bytes captured")
  end
  if band(flags, 2) ~= 0 then expert_add(layer, "capture_chat", "recovered from already-consumed ring memory") end
end

local function reset_state()
  state = { global = {}, channels = {}, channels_offered = {}, pairs = {}, pair_count = 0 }
end
reset_state()

-- Wireshark calls init before each (re)dissection of a file: the session is learned anew.
vmbus.init = reset_state

function vmbus.dissector(tvb, pinfo, root)
  if tvb:len() < 28 then return 0 end
  if pinfo.number == 1 and not pinfo.visited then responses = {} end
  pinfo.cols.protocol = "VMBus"
  local class = guid_text(tvb(12, 16))
  local relid = tvb(8, 4):le_uint()
  local offered = state.channels_offered[relid]
  if class == "00000000-0000-0000-0000-000000000000" then class = offered and offered.class or nil end
  ctx = { tvb = tvb, pinfo = pinfo, root = root, relid = relid, class = class, chunks = parse_chunks(tvb), info = {}, failed = false,
    last_protocol = "VMBus", direction = tvb(1, 1):uint() }
  local layer = root:add(vmbus, tvb())
  local device = tvb(4, 1):uint() == 2 and DEVICES_BY_GUID[class or ""]
  -- A Hyper-V socket is known by its offer's flag, not by a class GUID (its "class" is the service id).
  if tvb(4, 1):uint() == 2 and offered and offered.hvsock then device = DEVICES_BY_GUID["hvsock"] end
  decode_struct(S[ROOT], layer, 0, tvb:len(), nil, nil)
  if device or class then
    layer:add(PF["vmbus.device"], tvb(12, 16), device and device.short or "unknown"):set_generated()
    layer:add(PF["vmbus.device_name"], tvb(12, 16), device and device.name or ("unknown class " .. class)):set_generated()
  end
  record_experts(tvb, layer)
  local parts = {}
  for _, part in ipairs(ctx.info) do if part ~= "" then parts[#parts + 1] = part end end
  while parts[1] == "→" do table.remove(parts, 1) end
  while parts[#parts] == "→" do table.remove(parts) end
  local text = table.concat(parts, " ")
  pinfo.cols.protocol = ctx.last_protocol
  pinfo.cols.info = text
  return tvb:len()
end

local encaps = DissectorTable.get("wtap_encap")
for _, link_type in ipairs(LINK_TYPES) do
  encaps:add(wtap_encaps["USER" .. (link_type - 147)], vmbus)
end
