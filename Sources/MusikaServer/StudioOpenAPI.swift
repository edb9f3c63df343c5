/// The OpenAPI 3 description of the studio API, served at /openapi.json.
enum StudioOpenAPI {
  static let json = #"""
{
 "openapi": "3.0.3",
 "info": {
  "title": "Musika Studio API",
  "version": "1",
  "description": "Generate clips and endless, steerable streams of music from Musika latent-GAN models. Every error is JSON {\"error\": message} with a 4xx/5xx status."
 },
 "paths": {
  "/health": {
   "get": {
    "summary": "Liveness",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/api/models": {
   "get": {
    "summary": "List the models this server serves",
    "responses": {
     "200": {
      "description": "Models",
      "content": {
       "application/json": {
        "schema": {
         "type": "array",
         "items": {
          "$ref": "#/components/schemas/Model"
         }
        }
       }
      }
     }
    }
   }
  },
  "/api/generate": {
   "post": {
    "summary": "Render a clip",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Clip"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The audio file; header X-Musika-Command holds the command line that makes the same file.",
      "content": {
       "audio/wav": {},
       "audio/flac": {}
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "413": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/spectrogram": {
   "post": {
    "summary": "Spectrogram picture of the clip the same parameters make (left channel)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Clip"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "PNG",
      "content": {
       "image/png": {}
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/streams": {
   "post": {
    "summary": "Open an endless stream",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/StreamRequest"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "The stream",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Stream"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     },
     "429": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/streams/{id}/next": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    }
   ],
   "get": {
    "summary": "The next chunk (about 1.5 s) of a stream",
    "description": "Interleaved stereo PCM, little-endian: float32 (default) or int16 with ?format=s16. Header X-Stream-Start gives the chunk's first sample. Pull when your buffer runs low; a stream nobody pulls from for 30 s is closed.",
    "parameters": [
     {
      "name": "format",
      "in": "query",
      "schema": {
       "type": "string",
       "enum": [
        "f32",
        "s16"
       ]
      }
     }
    ],
    "responses": {
     "200": {
      "description": "PCM",
      "content": {
       "application/octet-stream": {}
      }
     },
     "404": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/streams/{id}/audio": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    }
   ],
   "get": {
    "summary": "The stream as one endless WAV (chunked transfer)",
    "description": "16-bit stereo WAV with an unknown-length header, for players (curl … | play -t wav -). Closing the connection closes the stream.",
    "parameters": [
     {
      "name": "seconds",
      "in": "query",
      "schema": {
       "type": "number"
      },
      "description": "Stop after this many seconds."
     }
    ],
    "responses": {
     "200": {
      "description": "WAV",
      "content": {
       "audio/wav": {}
      }
     },
     "404": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/streams/{id}/controls": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    }
   ],
   "post": {
    "summary": "Change controls while the stream plays",
    "description": "Fields left out keep their values. The change applies from the first audio not yet sent and ramps in over 1.5 s.",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Controls"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The controls now in force",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Controls"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Error"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  },
  "/api/streams/{id}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/id"
    }
   ],
   "delete": {
    "summary": "Close a stream",
    "responses": {
     "204": {
      "description": "Closed"
     },
     "404": {
      "$ref": "#/components/responses/Error"
     }
    }
   }
  }
 },
 "components": {
  "parameters": {
   "id": {
    "name": "id",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string"
    }
   }
  },
  "responses": {
   "Error": {
    "description": "Error",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   }
  },
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "string"
     }
    }
   },
   "Range": {
    "type": "object",
    "description": "What the model was trained on: the mean and deviation that standardise the condition, and the range seen.",
    "properties": {
     "deviation": {
      "type": "number"
     },
     "minimum": {
      "type": "number"
     },
     "maximum": {
      "type": "number"
     },
     "mean": {
      "type": "number"
     }
    }
   },
   "Model": {
    "type": "object",
    "required": [
     "name",
     "architecture",
     "sampleRate",
     "trainedSteps",
     "defaultTruncation"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "architecture": {
      "type": "string"
     },
     "sampleRate": {
      "type": "integer"
     },
     "trainedSteps": {
      "type": "integer"
     },
     "defaultTruncation": {
      "type": "number"
     },
     "tempo": {
      "$ref": "#/components/schemas/Range"
     },
     "density": {
      "$ref": "#/components/schemas/Range"
     },
     "card": {
      "type": "string",
      "description": "MODEL_CARD.md"
     }
    }
   },
   "Clip": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "model",
     "seconds"
    ],
    "properties": {
     "model": {
      "type": "string"
     },
     "seconds": {
      "type": "number",
      "exclusiveMinimum": 0,
      "description": "Clip length; above the server's cap: 413."
     },
     "format": {
      "type": "string",
      "enum": [
       "wav",
       "flac"
      ],
      "default": "wav"
     },
     "seed": {
      "type": "integer",
      "minimum": 0,
      "description": "Same seed and options give the same audio, bit for bit."
     },
     "truncation": {
      "type": "number",
      "exclusiveMinimum": 0,
      "maximum": 10,
      "description": "Truncation of the random draws (default: the model's)."
     },
     "tempo": {
      "type": "number",
      "description": "BPM, for tempo-conditioned models."
     },
     "density": {
      "type": "number",
      "minimum": 0,
      "description": "Note density in onsets per second, for density-conditioned models."
     },
     "densityCurve": {
      "type": "array",
      "items": {
       "type": "array",
       "items": {
        "type": "number"
       },
       "minItems": 2,
       "maxItems": 2
      },
      "description": "[[seconds, density], ...]: a note-density curve (instead of density)."
     }
    }
   },
   "Controls": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "seed": {
      "type": "integer",
      "minimum": 0,
      "description": "Same seed and options give the same audio, bit for bit."
     },
     "truncation": {
      "type": "number",
      "exclusiveMinimum": 0,
      "maximum": 10,
      "description": "Truncation of the random draws (default: the model's)."
     },
     "tempo": {
      "type": "number",
      "description": "BPM, for tempo-conditioned models."
     },
     "density": {
      "type": "number",
      "minimum": 0,
      "description": "Note density in onsets per second, for density-conditioned models."
     }
    }
   },
   "StreamRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "model"
    ],
    "properties": {
     "model": {
      "type": "string"
     },
     "seed": {
      "type": "integer",
      "minimum": 0,
      "description": "Same seed and options give the same audio, bit for bit."
     },
     "truncation": {
      "type": "number",
      "exclusiveMinimum": 0,
      "maximum": 10,
      "description": "Truncation of the random draws (default: the model's)."
     },
     "tempo": {
      "type": "number",
      "description": "BPM, for tempo-conditioned models."
     },
     "density": {
      "type": "number",
      "minimum": 0,
      "description": "Note density in onsets per second, for density-conditioned models."
     }
    }
   },
   "Stream": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "sampleRate": {
      "type": "integer"
     },
     "channels": {
      "type": "integer"
     },
     "controls": {
      "$ref": "#/components/schemas/Controls"
     }
    }
   }
  }
 }
}
"""#
}
