// The small bundle of benchmarks/bundle-scan.mjs: the Express 5 + pg app (~1.3 MB bundled).
import express from 'express';
import pg from 'pg';

const pool = new pg.Pool();
express().get('/users/:id', async (req, res) => res.json((await pool.query('SELECT $1', [req.params.id])).rows));
