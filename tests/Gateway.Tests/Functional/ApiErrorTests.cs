using System.Net;
using System.Text;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Functional;

/// <summary>Every refusal is application/problem+json with a status and a detail that says what is wrong.</summary>
public sealed class ApiErrorTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private GatewayApp App => fixture.App;

    [Theory]
    [InlineData("GET", "/api/sessions/987654")]
    [InlineData("GET", "/api/sessions/987654/messages")]
    [InlineData("DELETE", "/api/sessions/987654")]
    [InlineData("GET", "/api/listeners/nope")]
    [InlineData("GET", "/api/no-such-route")]
    public async Task UnknownId_Returns404Problem(string method, string path)
    {
        var response = await App.Http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)).Within();

        await ApiAssert.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task SendToUnknownSession_Returns404Problem()
    {
        var response = await App.PostAsync("/api/sessions/987654/send", new { data = "x" });

        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("987654", problem.Detail);
    }

    [Theory]
    [InlineData("hex", "zz", "hex")]
    [InlineData("hex", "abc", "odd")]
    [InlineData("base64", "not base64!", "base64")]
    [InlineData("rot13", "x", "Unknown encoding")]
    public async Task SendBadPayload_Returns400ProblemSayingWhy(string encoding, string data, string expectedInDetail)
    {
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        var response = await App.PostAsync($"/api/sessions/{session.Id}/send", new { data, encoding });

        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(expectedInDetail, problem.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("{\"data\":")]
    [InlineData("")]
    [InlineData("{\"encoding\":\"utf8\"}")]
    public async Task SendMalformedBody_Returns400Problem(string body)
    {
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        var response = await App.Http.PostAsync($"/api/sessions/{session.Id}/send",
            new StringContent(body, Encoding.UTF8, "application/json")).Within();

        await ApiAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task SendTooLarge_Returns413Problem()
    {
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);

        var response = await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = new string('a', (1024 * 1024) + 1) });

        var problem = await ApiAssert.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("MaxSendBytes", problem.Detail);
    }

    [Fact]
    public async Task SendOrDeleteClosedSession_Returns409Problem()
    {
        using var client = await App.ConnectTcpAsync();
        var session = await App.SessionOfAsync(client);
        Assert.Equal(HttpStatusCode.NoContent, (await App.Http.DeleteAsync($"/api/sessions/{session.Id}").Within()).StatusCode);

        await ApiAssert.ProblemAsync(await App.PostAsync($"/api/sessions/{session.Id}/send", new { data = "late" }), HttpStatusCode.Conflict);
        await ApiAssert.ProblemAsync(await App.Http.DeleteAsync($"/api/sessions/{session.Id}").Within(), HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("/api/sessions?state=sideways")]
    [InlineData("/api/sessions/1/messages?limit=0")]
    [InlineData("/api/sessions/1/messages?limit=abc")]
    [InlineData("/api/sessions/1/messages?afterSeq=x")]
    public async Task BadQuery_Returns400Problem(string path)
    {
        using var client = await App.ConnectTcpAsync();
        await App.SessionOfAsync(client);

        await ApiAssert.ProblemAsync(await App.Http.GetAsync(path).Within(), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task BroadcastToUnknownListener_Returns404Problem()
    {
        await ApiAssert.ProblemAsync(await App.PostAsync("/api/listeners/nope/broadcast", new { data = "x" }), HttpStatusCode.NotFound);
    }
}
