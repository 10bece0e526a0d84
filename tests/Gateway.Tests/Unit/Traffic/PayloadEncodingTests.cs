using System.Text;
using Gateway.Traffic;

namespace Gateway.Tests.Unit.Traffic;

public sealed class PayloadEncodingTests
{
    [Theory]
    [InlineData(null, "héllo", new byte[] { 0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f })]
    [InlineData("utf8", "a\n", new byte[] { 0x61, 0x0a })]
    [InlineData("UTF-8", "a", new byte[] { 0x61 })]
    [InlineData("hex", "deadBEEF", new byte[] { 0xde, 0xad, 0xbe, 0xef })]
    [InlineData("hex", " de ad\tbe:ef-00 ", new byte[] { 0xde, 0xad, 0xbe, 0xef, 0x00 })]
    [InlineData("hex", "0x0a0D", new byte[] { 0x0a, 0x0d })]
    [InlineData("hex", "", new byte[0])]
    [InlineData("base64", "AAEC/w==", new byte[] { 0x00, 0x01, 0x02, 0xff })]
    [InlineData("Base64", " aGk= ", new byte[] { 0x68, 0x69 })]
    public void TryDecode_ValidInput_ReturnsTheBytes(string? encoding, string data, byte[] expected)
    {
        Assert.True(PayloadEncoding.TryDecode(data, encoding, out var bytes, out var error), error);
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("hex", "abc", "odd")]
    [InlineData("hex", "zz", "'z' at position 0")]
    [InlineData("hex", "0a 0g", "'g' at position 4")]
    [InlineData("base64", "a", "Invalid base64")]
    [InlineData("base64", "!!!!", "Invalid base64")]
    [InlineData("latin1", "x", "Unknown encoding 'latin1'")]
    public void TryDecode_InvalidInput_FailsSayingWhy(string encoding, string data, string expected)
    {
        Assert.False(PayloadEncoding.TryDecode(data, encoding, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void TryDecode_NullData_Fails()
    {
        Assert.False(PayloadEncoding.TryDecode(null, "utf8", out _, out var error));
        Assert.Contains("'data' is required", error);
    }

    [Fact]
    public void TryDecode_LargeBase64_RoundTrips()
    {
        var payload = Encoding.ASCII.GetBytes(new string('q', 100_000));
        Assert.True(PayloadEncoding.TryDecode(Convert.ToBase64String(payload), "base64", out var bytes, out _));
        Assert.Equal(payload, bytes);
    }
}
