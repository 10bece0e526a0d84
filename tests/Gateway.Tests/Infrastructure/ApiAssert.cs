using System.Net;

namespace Gateway.Tests.Infrastructure;

internal static class ApiAssert
{
    /// <summary>Asserts an application/problem+json response with the status, whose detail contains <paramref name="detail"/>.</summary>
    public static async Task<WireProblem> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? detail = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonSerializer.Deserialize<WireProblem>(body, GatewayApp.Json)!;
        Assert.Equal((int)status, problem.Status);
        Assert.False(string.IsNullOrWhiteSpace(problem.Title));
        if (detail is not null)
        {
            Assert.Contains(detail, problem.Detail, StringComparison.OrdinalIgnoreCase);
        }

        return problem;
    }
}
