using System.Text;
using Gateway.Decoding;
using Gateway.Traffic;

namespace Gateway.Tests.Unit.Decoding;

public sealed class DecoderTests
{
    // A query for example.com A (recursion desired), and its answer with a compressed name.
    private static readonly byte[] DnsQuery = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, .. "example"u8, 3, .. "com"u8, 0, 0, 1, 0, 1];
    private static readonly byte[] DnsResponse =
        [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 7, .. "example"u8, 3, .. "com"u8, 0, 0, 1, 0, 1, 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34];

    public static TheoryData<string, byte[], Direction, string> Samples() => new()
    {
        { "resp", Encoding.ASCII.GetBytes("*3\r\n$3\r\nset\r\n$6\r\nuser:1\r\n$5\r\nalice\r\n"), Direction.In, "SET user:1 \"alice\"" },
        { "resp", Encoding.ASCII.GetBytes("+OK\r\n"), Direction.Out, "OK" },
        { "resp", Encoding.ASCII.GetBytes(":42\r\n+PONG\r\n"), Direction.Out, "(integer) 42 (+1 more)" },
        { "resp", Encoding.ASCII.GetBytes("%1\r\n+key\r\n*2\r\n:1\r\n_\r\n"), Direction.Out, "map of 1" },
        { "mqtt", [0x10, 0x10, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04, (byte)'d', (byte)'e', (byte)'v', (byte)'1'], Direction.In, "CONNECT dev1 MQTT v3.1.1" },
        { "mqtt", [0x32, 0x14, 0x00, 0x0c, .. Encoding.ASCII.GetBytes("sensors/temp"), 0x00, 0x07, .. Encoding.ASCII.GetBytes("21.5")], Direction.In, "PUBLISH sensors/temp QoS1 4 B" },
        { "mqtt", [0x82, 0x08, 0x00, 0x01, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'#', 0x01], Direction.In, "SUBSCRIBE 1: a/#" },
        { "modbus", [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10], Direction.In, "Read Holding Registers unit 1 addr 0 ×10" },
        { "modbus", [0, 1, 0, 0, 0, 7, 1, 3, 4, 0, 42, 0, 7], Direction.Out, "Read Holding Registers unit 1 → 2 registers: 42, 7" },
        { "modbus", [0, 1, 0, 0, 0, 3, 1, 0x83, 2], Direction.Out, "Exception Illegal Data Address (Read Holding Registers) unit 1" },
        { "modbus", [0, 2, 0, 0, 0, 6, 1, 5, 0, 3, 0xff, 0], Direction.In, "Write Single Coil unit 1 addr 3 = ON" },
        { "http", Encoding.ASCII.GetBytes("GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n"), Direction.In, "GET /index.html" },
        { "http", Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1200\r\n\r\n" + new string('a', 1200)), Direction.Out, "200 OK 1.2 kB" },
        { "http", Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), Direction.Out, "200 OK 11 B" },
        { "http", Encoding.ASCII.GetBytes("GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"), Direction.In, "GET /a (+1 more)" },
        { "dns", [.. DnsQuery], Direction.In, "query A example.com" },
        { "dns", [.. DnsResponse], Direction.Out, "A example.com → 93.184.216.34" },
        { "dns", [0, (byte)DnsResponse.Length, .. DnsResponse], Direction.Out, "A example.com → 93.184.216.34" },
        { "json", Encoding.UTF8.GetBytes("{ \"op\": \"sub\",\n  \"ch\": [\"trades\", \"book\"], \"id\": 7 }"), Direction.In, "{\"op\":\"sub\",\"ch\":[\"trades\",\"book\"],\"id\":7}" },
        { "json", Encoding.UTF8.GetBytes("{\"t\":\"a b\"}\n{\"t\":2}"), Direction.Out, "{\"t\":\"a b\"} (+1 more)" },
        { "msgpack", [0x82, 0xa7, .. "compact"u8, 0xc3, 0xa6, .. "schema"u8, 0x00], Direction.In, "{\"compact\": true, \"schema\": 0}" },
        { "msgpack", [0x93, 0xcb, 0x40, 0x35, 0x80, 0, 0, 0, 0, 0, 0xa2, .. "hi"u8, 0xc0], Direction.Out, "[21.5, \"hi\", null]" },
        { "msgpack", [0xcd, 0x01, 0x00, 0xd0, 0xff], Direction.Out, "256 (+1 more)" },
        { "protobuf", [0x08, 0x96, 0x01, 0x12, 0x07, .. "testing"u8], Direction.In, "{1: 150, 2: \"testing\"}" },
        { "protobuf", [0x1a, 0x03, 0x08, 0x96, 0x01, 0x25, 0x00, 0x00, 0xac, 0x41], Direction.In, "{3: {1: 150}, 4: 1101791232}" },
        { "auto", Encoding.ASCII.GetBytes("*1\r\n$4\r\nPING\r\n"), Direction.In, "PING" },
        { "auto", Encoding.ASCII.GetBytes("HTTP/1.1 204 No Content\r\n\r\n"), Direction.Out, "204 No Content 0 B" },
        { "auto", [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10], Direction.In, "Read Holding Registers unit 1 addr 0 ×10" },
        { "auto", Encoding.UTF8.GetBytes("{\"a\": [1, 2]}"), Direction.In, "{\"a\":[1,2]}" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void KnownMessage_SummaryAndFieldsCoverIt(string name, byte[] message, Direction direction, string summary)
    {
        Assert.True(Decoders.TryGet(name, out var decoder));
        var decoded = Decoders.Decode(decoder, message, direction);
        Assert.Equal(summary, decoded.Summary);
        Assert.DoesNotContain(decoded.Fields, f => f.Name == "error");
        Assert.All(decoded.Fields, f => Assert.InRange(f.Offset + f.Length, 0, message.Length));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void EveryTruncation_EndsWithAnErrorNode_NeverThrows(string name, byte[] message, Direction direction, string summary)
    {
        Decoders.TryGet(name, out var decoder);
        for (var length = 1; length < message.Length; length++)
        {
            // A cut message never decodes as the whole one: either the tree ends in an error node where the
            // bytes ran out, or (a RESP prefix that is itself complete) it reads as less than the whole.
            var decoded = Decoders.Decode(decoder, message.AsSpan(0, length), direction);
            Assert.NotEqual(summary, decoded.Summary);
            if (decoded.Fields.LastOrDefault()?.Name == "error")
            {
                Assert.InRange(decoded.Fields[^1].Offset, 0, length);
                Assert.StartsWith("(not ", decoded.Summary);
            }
        }
    }

    [Fact]
    public void RandomBytes_NeverThrow_AnyDecoder()
    {
        var random = new Random(12345);
        foreach (var decoder in Decoders.BuiltIns)
        {
            for (var i = 0; i < 2000; i++)
            {
                var bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
                if (i % 3 == 0 && bytes.Length > 0)
                {
                    bytes[0] = (byte)"*$+:%#3\x10\x30"[random.Next(9)]; // start like the protocol, then go wrong
                }

                var context = i % 4 < 2 ? new DecodeContext { MqttLevel = 5 } : null; // MQTT 5's properties too
                var decoded = Decoders.Decode(decoder, bytes, i % 2 == 0 ? Direction.In : Direction.Out, context);
                Assert.NotNull(decoded.Summary);
            }
        }
    }

    [Fact]
    public void Auto_NamesTheDecoderItPicked_ByPortFirst_AndKeepsIt()
    {
        Decoders.TryGet("auto", out var auto);
        Assert.Equal("resp", Decoders.Decode(auto, "+OK\r\n"u8, Direction.Out).Decoder);
        Assert.Equal("dns", Decoders.Decode(auto, DnsQuery, Direction.In).Decoder);
        Assert.Equal("mqtt", Decoders.Decode(auto, [0x10, 0x10, 0x00, 0x04, .. "MQTT"u8, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x04, .. "dev1"u8], Direction.In).Decoder);

        // On 6379, even a reply that could be JSON is RESP; a session once recognised stays so.
        var redis = new DecodeContext { Ports = [40000, 6379] };
        Assert.Equal("resp", Decoders.Decode(auto, "{}"u8, Direction.Out, redis).Decoder);
        var mqtt = new DecodeContext();
        Decoders.Decode(auto, [0x10, 0x10, 0x00, 0x04, .. "MQTT"u8, 0x05, 0x02, 0x00, 0x3c, 0x00, 0x00, 0x04, .. "dev1"u8], Direction.In, mqtt);
        var ack = Decoders.Decode(auto, [0x20, 0x03, 0x00, 0x00, 0x00], Direction.Out, mqtt);
        Assert.Equal(("mqtt", "CONNACK rc 0"), (ack.Decoder, ack.Summary));
        Assert.Contains(ack.Fields, f => f.Name == "reason code"); // MQTT 5's name: the CONNECT's level was kept

        var unknown = Decoders.Decode(auto, [0xc1, 0x00, 0x00], Direction.In);
        Assert.Equal(("auto", "3 B, no decoder recognised it"), (unknown.Decoder, unknown.Summary));
    }

    [Fact]
    public void Msgpack_MapEntriesNamedByKey_WithTheirBytes_AndExtensions()
    {
        Decoders.TryGet("msgpack", out var decoder);
        byte[] message = [0x82, 0xa4, .. "temp"u8, 0xca, 0x41, 0xac, 0x00, 0x00, 0xa2, .. "at"u8, 0xd6, 0xff, 0x65, 0x53, 0xf1, 0x00];
        var decoded = Decoders.Decode(decoder, message, Direction.In);
        var map = Assert.Single(decoded.Fields);
        Assert.Equal(("value", "map, 2 entries"), (map.Name, map.Display));
        Assert.Equal(("temp", "21.5 (float32)", 1, 10), (map.Children[0].Name, map.Children[0].Display, map.Children[0].Offset, map.Children[0].Length));
        Assert.Equal(("at", "timestamp 2023-11-14T22:13:20.0000000+00:00"), (map.Children[1].Name, map.Children[1].Display));

        // A count the message cannot hold, and 0xc1: error nodes where they stand.
        Assert.Equal(("error", 0), (Decoders.Decode(decoder, [0xdf, 0xff, 0xff, 0xff, 0xff], Direction.In).Fields[^1].Name, Decoders.Decode(decoder, [0xdf, 0xff, 0xff, 0xff, 0xff], Direction.In).Fields[^1].Offset));
        Assert.Equal(("error", 1), (Decoders.Decode(decoder, [0x91, 0xc1], Direction.In).Fields[^1].Name, Decoders.Decode(decoder, [0x91, 0xc1], Direction.In).Fields[^1].Offset));
    }

    [Fact]
    public void Protobuf_GuessesNestedMessagesTextAndBytes_AndRefusesWhatIsNotAField()
    {
        Decoders.TryGet("protobuf", out var decoder);
        // 1: "ok" (text), 2: {1: 1}, 3: bytes that are neither a message nor text, 5: group {1: 7}.
        byte[] message = [0x0a, 0x02, .. "ok"u8, 0x12, 0x02, 0x08, 0x01, 0x1a, 0x02, 0xff, 0x00, 0x2b, 0x08, 0x07, 0x2c];
        var decoded = Decoders.Decode(decoder, message, Direction.In);
        Assert.Equal(["1", "2", "3", "5"], decoded.Fields.Select(f => f.Name));
        Assert.Equal("ok", decoded.Fields[0].Display);
        Assert.Equal(("message, 1 fields", "1 (varint)"), (decoded.Fields[1].Display, decoded.Fields[1].Children[0].Display));
        Assert.Equal("<2 B: ff00>", decoded.Fields[2].Display);
        Assert.Equal(("group", "7 (zigzag -4) (varint)"), (decoded.Fields[3].Display, decoded.Fields[3].Children[0].Display));
        Assert.Equal("{1: \"ok\", 2: {1: 1}, 3: <2 B>, 5 {1: 7}}", decoded.Summary);

        Assert.Equal("error", Decoders.Decode(decoder, [0x00, 0x01], Direction.In).Fields[^1].Name); // field number 0
        Assert.Equal("error", Decoders.Decode(decoder, [0x0f], Direction.In).Fields[^1].Name); // wire type 7
        Assert.Equal("error", Decoders.Decode(decoder, [0x0a, 0x05, 0x01], Direction.In).Fields[^1].Name); // length past the end
    }

    [Fact]
    public void Json_TreeNamesMembersAndElements_WithTheirBytes()
    {
        var text = "{\"user\": {\"name\": \"ada\", \"tags\": [1, true, null]}}";
        var message = Encoding.UTF8.GetBytes(text);
        Decoders.TryGet("json", out var decoder);
        var decoded = Decoders.Decode(decoder, message, Direction.In);

        var root = Assert.Single(decoded.Fields);
        Assert.Equal(("value", "object, 1 member", 0, message.Length), (root.Name, root.Display, root.Offset, root.Length));
        var user = Assert.Single(root.Children);
        Assert.Equal("user", user.Name);
        var name = user.Children[0];
        Assert.Equal(("name", "\"ada\""), (name.Name, name.Display));
        Assert.Equal("\"ada\"", text.Substring(name.Offset, name.Length));
        var tags = user.Children[1];
        Assert.Equal("array, 3 elements", tags.Display);
        Assert.Equal(["[0]", "[1]", "[2]"], tags.Children.Select(c => c.Name));
        Assert.Equal("true", text.Substring(tags.Children[1].Offset, tags.Children[1].Length));
    }

    [Fact]
    public void Json_BadBytesKeepTheTreeSoFar_AndEndInAnError()
    {
        var message = Encoding.UTF8.GetBytes("{\"a\": [1, 2, x]}");
        Decoders.TryGet("json", out var decoder);
        var decoded = Decoders.Decode(decoder, message, Direction.In);

        Assert.StartsWith("(not json: ", decoded.Summary);
        var partial = decoded.Fields[0];
        Assert.Equal("object, 1 member so far", partial.Display);
        Assert.Equal("array, 2 elements so far", Assert.Single(partial.Children).Display);
        Assert.Equal("error", decoded.Fields[^1].Name);
        Assert.InRange(decoded.Fields[^1].Offset, 12, 14);
    }

    [Fact]
    public void Mqtt5_TheConnectsLevelCarriesOver_PropertiesReadByName()
    {
        byte[] connect = [0x10, 0x11, 0x00, 0x04, .. "MQTT"u8, 0x05, 0x02, 0x00, 0x3c, 0x00, 0x00, 0x04, .. "dev1"u8];
        // PUBLISH QoS1, topic a/b, packet id 7, properties: content type "text/plain", then payload "hi".
        byte[] properties = [0x03, 0x00, 0x0a, .. "text/plain"u8];
        byte[] publish = [0x32, (byte)(2 + 3 + 2 + 1 + properties.Length + 2), 0x00, 0x03, .. "a/b"u8, 0x00, 0x07, (byte)properties.Length, .. properties, .. "hi"u8];
        Decoders.TryGet("mqtt", out var decoder);

        var context = new DecodeContext();
        Assert.Equal("CONNECT dev1 MQTT v5", Decoders.Decode(decoder, connect, Direction.In, context).Summary);
        var decoded = Decoders.Decode(decoder, publish, Direction.In, context);
        Assert.Equal("PUBLISH a/b QoS1 2 B", decoded.Summary);
        var props = decoded.Fields.Single(f => f.Name == "properties");
        Assert.Equal(("content type", "text/plain"), (props.Children[0].Name, props.Children[0].Display));
        Assert.Equal("hi", decoded.Fields.Single(f => f.Name == "payload").Display);

        // A CONNACK with properties (assigned client id "x", receive maximum 20) names them, and keeps its reason code.
        byte[] connack = [0x20, 0x0a, 0x00, 0x00, 0x07, 0x12, 0x00, 0x01, (byte)'x', 0x21, 0x00, 0x14];
        var ack = Decoders.Decode(decoder, connack, Direction.Out, context);
        Assert.Equal("CONNACK rc 0", ack.Summary);
        Assert.Equal(["assigned client id", "receive maximum"], ack.Fields.Single(f => f.Name == "properties").Children.Select(c => c.Name));

        // Without the CONNECT, the same bytes read as 3.1.1: the properties are part of the payload.
        Assert.Equal($"PUBLISH a/b QoS1 {1 + properties.Length + 2} B", Decoders.Decode(decoder, publish, Direction.In).Summary);
    }

    [Fact]
    public void Dns_RecordsAndNames_AndALoopingPointerIsAnError()
    {
        Decoders.TryGet("dns", out var decoder);
        var decoded = Decoders.Decode(decoder, DnsResponse, Direction.Out);
        Assert.Equal(["header", "questions", "answers"], decoded.Fields.Select(f => f.Name));
        var answer = decoded.Fields[2].Children[0];
        Assert.Equal(("example.com A 93.184.216.34, ttl 3600", 29, 16), (answer.Display, answer.Offset, answer.Length));

        byte[] nxdomain = [0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0, 4, .. "nope"u8, 4, .. "test"u8, 0, 0, 1, 0, 1];
        Assert.Equal("NXDOMAIN A nope.test", Decoders.Decode(decoder, nxdomain, Direction.Out).Summary);

        byte[] loop = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1];
        var looped = Decoders.Decode(decoder, loop, Direction.In);
        Assert.Equal(("error", 12), (looped.Fields[^1].Name, looped.Fields[^1].Offset));
        Assert.Contains("loop", looped.Summary);
    }

    [Fact]
    public void Http_ChunkedBody_NamesEachChunk_AndTheHeaders()
    {
        var text = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n4\r\nnope\r\n0\r\n\r\n";
        Decoders.TryGet("http", out var decoder);
        var decoded = Decoders.Decode(decoder, Encoding.ASCII.GetBytes(text), Direction.Out);

        Assert.Equal("404 Not Found 4 B", decoded.Summary);
        var response = Assert.Single(decoded.Fields);
        Assert.Equal(["status line", "headers", "body"], response.Children.Select(c => c.Name));
        var status = response.Children[0].Children[1];
        Assert.Equal("404", text.Substring(status.Offset, status.Length));
        var type = response.Children[1].Children[1];
        Assert.Equal(("Content-Type", "text/plain"), (type.Name, type.Display));
        Assert.Equal(["chunk", "last chunk"], response.Children[2].Children.Select(c => c.Name));
        Assert.Equal("4\r\nnope\r\n", text.Substring(response.Children[2].Children[0].Offset, response.Children[2].Children[0].Length));
    }

    [Fact]
    public void Http_ShortBody_IsAnErrorWhereTheBytesRanOut()
    {
        var message = Encoding.ASCII.GetBytes("POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
        Decoders.TryGet("http", out var decoder);
        var decoded = Decoders.Decode(decoder, message, Direction.In);

        Assert.Equal($"(not http: the body ends after 3 of 10 bytes at byte {message.Length})", decoded.Summary);
        Assert.Equal("cut short", decoded.Fields[0].Display);
        Assert.Equal(("error", message.Length), (decoded.Fields[^1].Name, decoded.Fields[^1].Offset));
    }

    [Fact]
    public void Json_DeepNesting_IsAnErrorNode()
    {
        var deep = Encoding.ASCII.GetBytes(new string('[', 10_000) + new string(']', 10_000));
        Decoders.TryGet("json", out var decoder);
        var decoded = Decoders.Decode(decoder, deep, Direction.In);
        Assert.Equal("error", decoded.Fields[^1].Name);
        Assert.Contains("depth", decoded.Fields[^1].Display);
    }

    [Fact]
    public void DeepNesting_IsAnErrorNode_NotAStackOverflow()
    {
        var deep = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("*1\r\n", 10_000)) + ":1\r\n");
        Decoders.TryGet("resp", out var decoder);
        var decoded = Decoders.Decode(decoder, deep, Direction.Out);
        Assert.Equal("error", decoded.Fields[^1].Name);
        Assert.Contains("nested deeper", decoded.Fields[^1].Display);
    }
}
