using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Gatewayctl;

/// <summary>A refusal or failure to show as one line, with the exit code a script can test.</summary>
internal sealed class CliException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Exit codes: what a script can tell apart.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command line itself was wrong (System.CommandLine's own code for a parse error).</summary>
    public const int Usage = 1;

    /// <summary>The gateway refused the request (4xx): bad input, unknown session, not allowed.</summary>
    public const int Refused = 2;

    /// <summary>The gateway could not be reached, or failed (5xx).</summary>
    public const int Unavailable = 3;
}

/// <summary>The gateway's REST API, with its key; a problem answer becomes a <see cref="CliException"/> carrying its detail.</summary>
internal sealed class GatewayApi(Uri baseAddress, string? key) : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly HttpClient _http = Create(baseAddress, key);

    public Uri BaseAddress => baseAddress;

    public string? Key => key;

    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<JsonElement> PostAsync(string path, object body, CancellationToken cancellationToken) => SendAsync(HttpMethod.Post, path, body, cancellationToken);

    public Task<JsonElement> DeleteAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Delete, path, null, cancellationToken);

    /// <summary>Streams a response body into <paramref name="file"/> (written beside it first, then moved into place).</summary>
    public async Task<long> DownloadAsync(string path, string file, CancellationToken cancellationToken)
    {
        using var response = await Call(() => _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken)).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        var partial = file + ".part";
        await using (var output = File.Create(partial))
        {
            await response.Content.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
        }

        File.Move(partial, file, overwrite: true);
        return new FileInfo(file).Length;
    }

    public void Dispose() => _http.Dispose();

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body, options: Json) };
        using var response = await Call(() => _http.SendAsync(request, cancellationToken)).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NoContent || response.Content.Headers.ContentLength == 0)
        {
            return default;
        }

        return await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> Call(Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"cannot reach the gateway at {baseAddress}: {ex.Message}", ExitCodes.Unavailable);
        }
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var detail = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json, cancellationToken).ConfigureAwait(false);
            if (problem.ValueKind == JsonValueKind.Object)
            {
                var title = problem.TryGetProperty("title", out var t) ? t.GetString() : null;
                var text = problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
                detail = $"{(int)response.StatusCode} {title ?? response.ReasonPhrase}{(text is null ? "" : ": " + text)}";
            }
        }
        catch (JsonException)
        {
            // Not a problem document: the status line says it.
        }

        throw new CliException(detail, (int)response.StatusCode >= 500 ? ExitCodes.Unavailable : ExitCodes.Refused);
    }

    private static HttpClient Create(Uri baseAddress, string? key)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(100) };
        if (!string.IsNullOrEmpty(key))
        {
            http.DefaultRequestHeaders.Add("X-Api-Key", key);
        }

        return http;
    }
}
